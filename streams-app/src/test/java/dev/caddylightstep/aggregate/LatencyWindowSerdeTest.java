package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.policy.Misfire;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

/**
 * The windows' state in their stores and changelogs across the version that added stages: what the build before it
 * wrote (latency-window-v2.state, written by that build) reads back, and a window with stages reads back as it was.
 */
class LatencyWindowSerdeTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    private static byte[] stateBeforeStages() {
        try (InputStream in = LatencyWindowSerdeTest.class.getResourceAsStream("latency-window-v2.state")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The window of latency-window-v2.state, added up again: 2,000 requests of every kind, none of them timed by stage. */
    private static LatencyWindow windowBeforeStages() {
        SplittableRandom random = new SplittableRandom(7);
        LatencyWindow window = new LatencyWindow();
        for (int i = 0; i < 2_000; i++) {
            double ms = i % 97 == 0 ? 0.0 : Math.exp(random.nextGaussian() * 2.0 + 1.5);
            int status = i % 11 == 0 ? 503 : i % 13 == 0 ? 403 : 200;
            Misfire misfire = i % 17 == 0 ? Misfire.OVER_PERMISSIVE : i % 19 == 0 ? Misfire.OVER_RESTRICTIVE : null;
            window.add(new LatencyObservation("g", "/r", Math.round(ms * 1_000_000), status, 7L * i, misfire, ms > 20,
                    String.format("%032x", i + 1), String.format("%016x", i + 1), List.of()), 5, 8);
        }
        return window;
    }

    /** A request timed by Caddy and by its backend's database and cache. */
    private static LatencyObservation timed(double ms) {
        return observation(ms, List.of(new StageTime(StageTime.EDGE, ms * 0.25), new StageTime(StageTime.UPSTREAM, ms * 0.75),
                new StageTime("db", ms * 0.5), new StageTime("cache", ms * 0.05)));
    }

    private static LatencyObservation observation(double ms, List<StageTime> stages) {
        return new LatencyObservation("g", "/r", Math.round(ms * 1_000_000), 200, 10, null, false, TRACE, SPAN, stages);
    }

    @Test
    void stateWrittenBeforeStagesReadsBackAsItsWindow() {
        LatencyWindow read = LatencyWindowSerde.read("t", stateBeforeStages());

        assertThat(read.toRecord("g", null, 0, 60_000)).isEqualTo(windowBeforeStages().toRecord("g", null, 0, 60_000));
        assertThat(read.toRecord("g", null, 0, 60_000).getStages()).isEmpty();
    }

    @Test
    void aWindowWithoutStagesIsWrittenAsTheBuildBeforeStagesWroteIt() {
        // so an instance of that build, in a rolling upgrade, reads the partials of this one while no request is timed
        assertThat(LatencyWindowSerde.write(windowBeforeStages())).isEqualTo(stateBeforeStages());
    }

    @Test
    void aWindowRestoredFromBeforeStagesKeepsCountingWithStages() {
        LatencyWindow restored = LatencyWindowSerde.read("t", stateBeforeStages());
        restored.add(timed(40), 5, 8);

        var record = LatencyWindowSerde.read("t", LatencyWindowSerde.write(restored)).toRecord("g", null, 0, 60_000);

        assertThat(record.getCount()).isEqualTo(2_001);
        assertThat(record.getStages()).containsOnlyKeys("edge", "upstream", "db", "cache");
        assertThat(record.getStages().get("db").getMax()).isEqualTo(20.0);
    }

    @Test
    void everyStateOfAWindowWithStagesReadsBackAsTheWindowWas() {
        LatencyWindow window = new LatencyWindow();
        // down, up, past the bin limit (folding the fastest), and some requests no stage timed
        double[] values = {50, 40, 30, 100, 5, 2000, 0.3, 70_000, 0.002, 1e-6, 3e8, 45, 41, 0.0, 99};
        SplittableRandom random = new SplittableRandom(8);
        double[] wide = random.doubles(500).map(u -> Math.exp((u - 0.5) * 24)).toArray();
        int i = 0;
        for (double ms : DoubleStream.concat(Arrays.stream(values), Arrays.stream(wide)).toArray()) {
            window.add(i++ % 5 == 4 ? observation(ms, List.of()) : timed(ms), 5, 8);
            LatencyWindow back = LatencyWindowSerde.read("t", LatencyWindowSerde.write(window));
            assertThat(back.toRecord("g", null, 0, 60_000)).isEqualTo(window.toRecord("g", null, 0, 60_000));
            assertThat(back.stages.keySet()).containsExactlyElementsOf(window.stages.keySet());
        }
    }
}
