package dev.caddylightstep.loadtest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RunFiguresTest {

    @Test
    void latencyPercentilesAreNearestRank() {
        long[] samples = new long[200];
        for (int i = 0; i < samples.length; i++) {
            // 200, 199, ..., 1: unsorted on purpose
            samples[i] = samples.length - i;
        }

        RunFigures.Latency latency = RunFigures.Latency.of(samples, 2_000);

        // nearest rank: the smallest value with at least q of the samples at or below it
        assertThat(latency.p50Ms()).isEqualTo(100);
        assertThat(latency.p99Ms()).isEqualTo(198);
        assertThat(latency.maxMs()).isEqualTo(200);
        assertThat(latency.samples()).isEqualTo(200);
    }

    @Test
    void noProbeMeansNoLatency() {
        RunFigures.Latency latency = RunFigures.Latency.of(new long[0], 0);

        assertThat(latency.p50Ms()).isEqualTo(-1);
        assertThat(latency.p99Ms()).isEqualTo(-1);
    }

    @Test
    void ratesAreInputOverTheDrain() {
        RunFigures figures = new RunFigures("pipeline", 300_000, 240_000_000, 12.0, 30.0, 0.5, 1L << 30,
                RunFigures.Latency.of(new long[0], 0), Map.of(), "", new TopicVolumes(Map.of()), 1.0);

        assertThat(figures.linesPerSecond()).isEqualTo(25_000.0);
        assertThat(figures.megabytesPerSecond()).isEqualTo(20.0);
        assertThat(figures.cpuMicrosPerLine()).isEqualTo(100.0);
    }
}
