package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.CaddyLogGenerator;
import dev.caddylightstep.loadtest.GeneratorSettings;

/** Generated lines held in memory, each with its Caddy log time, and what the pipeline should make of them. */
final class BenchInput {
    private final byte[][] lines;
    private final long[] timestampsMs;
    private final Expected expected;

    private BenchInput(byte[][] lines, long[] timestampsMs, Expected expected) {
        this.lines = lines;
        this.timestampsMs = timestampsMs;
        this.expected = expected;
    }

    static BenchInput generate(GeneratorSettings settings, int count) {
        CaddyLogGenerator generator = new CaddyLogGenerator(settings);
        byte[][] lines = new byte[count][];
        long[] timestamps = new long[count];
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            timestamps[i] = Math.floorDiv(generator.nextEpochNanos(), 1_000_000L);
            lines[i] = generator.nextLine();
            bytes += lines[i].length;
        }
        return new BenchInput(lines, timestamps, Expected.of(generator.counts(), bytes));
    }

    int size() {
        return lines.length;
    }

    byte[] line(int i) {
        return lines[i];
    }

    long timestampMs(int i) {
        return timestampsMs[i];
    }

    Expected expected() {
        return expected;
    }
}
