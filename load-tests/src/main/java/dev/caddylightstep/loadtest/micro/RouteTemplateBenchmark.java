package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.route.RoutePattern;
import dev.caddylightstep.route.RouteTemplates;
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
 * The route template of a request path: with the built-in placeholders alone (the default), and with four
 * configured patterns tried first (two of which match some of the generated paths).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class RouteTemplateBenchmark {
    private String[] paths;
    private RouteTemplates builtIn;
    private RouteTemplates configured;
    private int next;

    @Setup
    public void setUp() {
        EnrichedRequest[] requests = SampleTraffic.requests();
        paths = new String[requests.length];
        for (int i = 0; i < requests.length; i++) {
            paths[i] = requests[i].event().path();
        }
        builtIn = new RouteTemplates(List.of());
        configured = new RouteTemplates(List.of(RoutePattern.parse("/api/users/{user}"), RoutePattern.parse("/api/orders/{order}/items"),
                RoutePattern.parse("/api/tenants/{tenant}/items"), RoutePattern.parse("/v2/{tenant}/reports/{report}")));
    }

    @Benchmark
    public String builtInPlaceholders() {
        return builtIn.templateOf(paths[next++ & SampleTraffic.MASK]);
    }

    @Benchmark
    public String configuredPatterns() {
        return configured.templateOf(paths[next++ & SampleTraffic.MASK]);
    }
}
