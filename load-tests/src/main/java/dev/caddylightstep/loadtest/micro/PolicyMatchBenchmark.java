package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.policy.Decision;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.topology.EnrichedRequest;
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
 * allow globs and two deny), the decision alone and the whole verdict.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PolicyMatchBenchmark {
    private EnrichedRequest[] requests;
    private Policy policy;
    private int next;

    @Setup
    public void setUp() {
        requests = SampleTraffic.requests();
        policy = SiteTables.anonymous();
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
