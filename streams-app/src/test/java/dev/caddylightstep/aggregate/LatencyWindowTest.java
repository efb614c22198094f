package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The window's own bins against DDSketch fed directly: the same sketch, the same quantiles, through the store and back;
 * its stages, and their cap on a backend's names as requests come and as windows merge.
 */
class LatencyWindowTest {
    private static final double[] QUANTILES = {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};

    private static LatencyObservation observation(double ms, int status) {
        return new LatencyObservation("g", "/r", Math.round(ms * 1_000_000), status, 10, null, false,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", List.of());
    }

    /** A request timed by Caddy (a fifth of it in Caddy) and by its backend, which spent 60% of it under these names. */
    private static LatencyObservation timed(double ms, String... backendNames) {
        List<StageTime> stages = new ArrayList<>(List.of(new StageTime(StageTime.EDGE, ms * 0.2), new StageTime(StageTime.UPSTREAM, ms * 0.8)));
        for (String name : backendNames) {
            stages.add(new StageTime(name, ms * 0.6 / backendNames.length));
        }
        return new LatencyObservation("g", "/r", Math.round(ms * 1_000_000), 200, 10, null, false,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", stages);
    }

    /** Log-normal latencies around a few milliseconds, with a slow tail, and some zero durations. */
    private static double[] latencies(long seed, int n, double spread) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = i % 97 == 0 ? 0.0 : Math.exp(random.nextGaussian() * spread + 1.5) / 1_000_000 * 1_000_000;
        }
        return values;
    }

    private static void assertSameSketch(double[] values) {
        LatencyWindow window = new LatencyWindow();
        DDSketch reference = DDSketches.logarithmicCollapsingLowestDense(LatencySketch.RELATIVE_ACCURACY, LatencySketch.MAX_BINS);
        for (double ms : values) {
            LatencyObservation o = observation(ms, 200);
            window.add(o, 5, 8);
            reference.accept(o.durationMillis());
        }
        DDSketch ours = window.latency.sketch();
        assertThat(ours.getCount()).isEqualTo(reference.getCount());
        assertThat(ours.getValuesAtQuantiles(QUANTILES)).containsExactly(reference.getValuesAtQuantiles(QUANTILES));
    }

    @Test
    void itsBinsAreTheSketchDdSketchWouldHaveBuilt() {
        assertSameSketch(latencies(1, 20_000, 1.5));
    }

    @Test
    void beyondTheBinLimitTheFastestCollapseAsInDdSketch() {
        // from microseconds to days: more than 2,048 bins apart
        assertSameSketch(latencies(2, 20_000, 6.0));
    }

    @Test
    void binsGrowDownwardsAndUpwardsAlike() {
        assertSameSketch(new double[] {50, 40, 30, 100, 5, 2000, 0.3, 70_000, 0.002});
    }

    @Test
    void partialWindowsMergeIntoTheWindowOfAllTheirRequests() {
        double[] values = latencies(4, 9_000, 3.0);
        LatencyWindow whole = new LatencyWindow();
        LatencyWindow[] partials = {new LatencyWindow(), new LatencyWindow(), new LatencyWindow()};
        for (int i = 0; i < values.length; i++) {
            // a backend that times some of its requests, another name on some of those
            LatencyObservation o = i % 4 == 0 ? timed(values[i], "db")
                    : i % 4 == 1 ? timed(values[i], "db", "cache")
                    : observation(values[i], i % 7 == 0 ? 500 : 200);
            whole.add(o, 5, 8);
            partials[i % 3].add(o, 5, 8);
        }
        LatencyWindow merged = partials[0].merge(partials[1], 5, 8).merge(partials[2], 5, 8);
        LatencyAggregateRecord expected = whole.toRecord("g", null, 0, 60_000);
        LatencyAggregateRecord actual = merged.toRecord("g", null, 0, 60_000);
        // the means' sums are added in another order: equal to the last bits or so
        assertThat(actual.getLatencyMs().getMean()).isCloseTo(expected.getLatencyMs().getMean(), within(1e-9));
        actual.getLatencyMs().setMean(expected.getLatencyMs().getMean());
        assertThat(actual.getStages()).containsOnlyKeys("edge", "upstream", "db", "cache");
        actual.getStages().forEach((name, stage) -> {
            assertThat(stage.getMean()).as(name).isCloseTo(expected.getStages().get(name).getMean(), within(1e-9));
            stage.setMean(expected.getStages().get(name).getMean());
        });
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void aWindowOfRequestsNoStageTimedKeepsNoStages() {
        LatencyWindow window = new LatencyWindow();
        for (double ms : latencies(9, 1_000, 2.0)) {
            window.add(observation(ms, 200), 5, 8);
        }
        assertThat(window.stages).isNull();
        assertThat(window.toRecord("g", null, 0, 60_000).getStages()).isEmpty();
    }

    @Test
    void aRequestsBackendNamesPastTheCapCountAsOneOtherStage() {
        LatencyWindow window = new LatencyWindow().add(timed(10, "db"), 5, 1).add(timed(20, "cache", "render"), 5, 1);

        var stages = window.toRecord("g", null, 0, 60_000).getStages();

        assertThat(stages).containsOnlyKeys("edge", "upstream", "db", "{other}");
        // the second request's cache and render, 6 ms each: one request, 12 ms
        assertThat(stages.get("{other}").getCount()).isEqualTo(1);
        assertThat(stages.get("{other}").getMax()).isEqualTo(12.0);
        assertThat(stages.get("upstream").getCount()).isEqualTo(2);
    }

    @Test
    void mergedWindowsKeepTheCapOnBackendNames() {
        LatencyWindow first = new LatencyWindow().add(timed(10, "db"), 5, 1);
        LatencyWindow second = new LatencyWindow().add(timed(20, "cache"), 5, 1).add(timed(30, "cache"), 5, 1);

        var stages = first.merge(second, 5, 1).toRecord("g", null, 0, 60_000).getStages();

        assertThat(stages).containsOnlyKeys("edge", "upstream", "db", "{other}");
        assertThat(stages.get("db").getCount()).isEqualTo(1);
        assertThat(stages.get("{other}").getCount()).isEqualTo(2);
        assertThat(stages.get("{other}").getMax()).isEqualTo(18.0);
        assertThat(stages.get("edge").getCount()).isEqualTo(3);
    }

    @Test
    void theStoredStateReadsBackToTheSameAggregate() {
        LatencyWindow window = new LatencyWindow();
        for (double ms : latencies(3, 5_000, 2.0)) {
            window.add(observation(ms, ms > 100 ? 503 : 200), 5, 8);
        }
        LatencyWindow back = LatencyWindowSerde.read("t", LatencyWindowSerde.write(window));
        LatencyAggregateRecord a = window.toRecord("g", null, 0, 60_000);
        LatencyAggregateRecord b = back.toRecord("g", null, 0, 60_000);
        assertThat(b).isEqualTo(a);
        back.add(observation(1.0, 200), 5, 8);
        assertThat(back.toRecord("g", null, 0, 60_000).getCount()).isEqualTo(a.getCount() + 1);
    }

    @Test
    void everyStateOnTheWayReadsBackAsTheWindowWasWhileItsBinsGrowAndFold() {
        LatencyWindow window = new LatencyWindow();
        // down, up, past the bin limit (folding the fastest), then into bins between the ones filled
        double[] values = {50, 40, 30, 100, 5, 2000, 0.3, 70_000, 0.002, 1e-6, 3e8, 45, 41, 0.0, 99};
        // then from microseconds to days, more than 2,048 bins apart, so that a full set of bins folds its fastest
        double[] wide = latencies(6, 1_000, 6.0);
        for (double ms : java.util.stream.DoubleStream.concat(java.util.Arrays.stream(values), java.util.Arrays.stream(wide)).toArray()) {
            window.add(observation(ms, 200), 5, 8);
            LatencyWindow back = LatencyWindowSerde.read("t", LatencyWindowSerde.write(window));
            assertThat(back.toRecord("g", null, 0, 60_000)).isEqualTo(window.toRecord("g", null, 0, 60_000));
        }
    }

    @Test
    void aWindowReadBackKeepsCountingIntoItsRestoredBins() {
        LatencyWindow window = new LatencyWindow();
        LatencyWindow restored = new LatencyWindow();
        double[] values = latencies(5, 2_000, 2.0);
        for (int i = 0; i < values.length; i++) {
            window.add(observation(values[i], 200), 5, 8);
            restored = LatencyWindowSerde.read("t", LatencyWindowSerde.write(restored.add(observation(values[i], 200), 5, 8)));
        }
        assertThat(restored.toRecord("g", null, 0, 60_000)).isEqualTo(window.toRecord("g", null, 0, 60_000));
    }
}
