package dev.caddylightstep.aggregate;

import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serde;
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
 * A request added to a window that holds a thousand, and the window encoded as its store holds it. The partial-windows
 * processor adds every request to a window in memory and encodes each window it changed once a commit (once a request
 * until 2026-12-02); the merge does both for every partial window it receives. In this package because the window's
 * serde is package-private in streams-app.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class WindowUpdateBenchmark {
    private LatencyObservation[] observations;
    private Serde<LatencyWindow> serde;
    private LatencyWindow window;
    private int next;

    @Setup
    public void setUp() {
        InMemoryStages stages = new InMemoryStages();
        List<byte[]> lines = InMemoryStages.accessLines(1, 1_024);
        observations = new LatencyObservation[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            EnrichedRequest request = stages.enrich(lines.get(i));
            observations[i] = LatencyObservation.of(request, StageSettings.DEFAULTS);
        }
        serde = LatencyWindowSerde.create();
    }

    /** A window that already holds a thousand requests, as most updates of a busy window find it. */
    @Setup(Level.Iteration)
    public void fullWindow() {
        window = new LatencyWindow();
        for (LatencyObservation o : observations) {
            window.add(o, 5, StageSettings.DEFAULTS.maxServerTimings());
        }
    }

    @Benchmark
    public byte[] addEncode() {
        return serde.serializer().serialize("bench", window.add(observations[next++ & 1_023], 5, StageSettings.DEFAULTS.maxServerTimings()));
    }
}
