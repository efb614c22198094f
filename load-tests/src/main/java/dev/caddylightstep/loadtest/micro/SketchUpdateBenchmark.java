package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.aggregate.LatencyObservation;
import dev.caddylightstep.aggregate.LatencyWindow;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stage aggregate's arithmetic alone: one request into a window held in memory (counters, DDSketch, five
 * exemplars). In the pipeline every update also reads and writes the window through its serde: see
 * {@code dev.caddylightstep.aggregate.WindowUpdateBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class SketchUpdateBenchmark {
    private LatencyObservation[] observations;
    private LatencyWindow window;
    private int next;

    @Setup
    public void setUp() {
        EnrichedRequest[] requests = SampleTraffic.requests();
        observations = new LatencyObservation[requests.length];
        for (int i = 0; i < requests.length; i++) {
            observations[i] = LatencyObservation.of(requests[i], StageSettings.DEFAULTS);
        }
    }

    @Setup(Level.Iteration)
    public void freshWindow() {
        window = new LatencyWindow();
    }

    @Benchmark
    public LatencyWindow addToWindow() {
        return window.add(observations[next++ & SampleTraffic.MASK], 5, StageSettings.DEFAULTS.maxServerTimings());
    }
}
