package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Decision;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stage judge's policy match: every generated request against the site's anonymous policy (eleven rules, nine
 * allow globs and two deny), the decision alone and the whole verdict; and one anonymous client's 2 MiB path
 * (GET /api/ and a million segments) against rules with one and several {@code **}, which matching must take in
 * time linear in the path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PolicyMatchBenchmark {
    private static final int TWO_MEBIBYTES = 2 * 1024 * 1024;

    private EnrichedRequest[] requests;
    private Policy policy;
    private Policy doubleStars;
    private String longPath;
    private int next;

    @Setup
    public void setUp() {
        requests = SampleTraffic.requests();
        policy = SiteTables.anonymous();
        // the first allow rule looks for a d in every segment and finds none, the second finds its c at the very end
        doubleStars = Policy.of("anonymous", List.of(AccessRule.parse("GET /**/a/**/d/**/b"), AccessRule.parse("GET /**/a/**/c/**/b")),
                List.of(AccessRule.parse("* /api/**/admin")), null);
        StringBuilder path = new StringBuilder(TWO_MEBIBYTES).append("/api/");
        while (path.length() < TWO_MEBIBYTES - 3) {
            path.append("a/");
        }
        longPath = path.append("c/b").toString();
    }

    /** The site's policy and the 2 MiB path: each rule gives up at the segment where it stops matching, most at the first. */
    @Benchmark
    public Decision decideTwoMebibytePath() {
        return policy.decide("GET", longPath);
    }

    /** Rules of several {@code **} each against the 2 MiB path, two of which walk all of it: the worst case, linear. */
    @Benchmark
    public Decision decideTwoMebibytePathWithDoubleStars() {
        return doubleStars.decide("GET", longPath);
    }

    @Benchmark
    public Decision decide() {
        EnrichedRequest r = requests[next++ & SampleTraffic.MASK];
        return policy.decide(r.event().method(), r.event().path());
    }

    @Benchmark
    public PolicyVerdict judge() {
        return PolicyVerdict.judge(policy, requests[next++ & SampleTraffic.MASK].event());
    }
}
