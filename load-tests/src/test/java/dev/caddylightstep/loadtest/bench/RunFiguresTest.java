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
    void ratesAreTheLinesDrainedWithinTheWindowOverItsLength() {
        // 300,000 lines of 800 bytes, four fifths of them drained in a window of 12 s with 24 s of CPU, 6 of it the
        // compiler's and 12 the stream threads'
        RunFigures figures = new RunFigures("pipeline", 300_000, 240_000_000, 0.8, 12.0, 24.0, 0.5, 1L << 30,
                RunFigures.Latency.of(new long[0], 0), Map.of(ThreadCpu.JIT_COMPILER, 6.0), 16.0, 1.5, 1.0, "",
                new TopicVolumes(Map.of()), 1.0, 12.0);

        assertThat(figures.linesPerSecond()).isEqualTo(20_000.0);
        assertThat(figures.megabytesPerSecond()).isEqualTo(16.0);
        assertThat(figures.cpuMicrosPerLine()).isEqualTo(100.0);
        assertThat(figures.jitCompilerShare()).isEqualTo(0.25);
        assertThat(figures.workMicrosPerLine()).isEqualTo(50.0);
    }
}
