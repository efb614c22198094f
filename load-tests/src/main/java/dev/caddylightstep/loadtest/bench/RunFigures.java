package dev.caddylightstep.loadtest.bench;

import java.util.Map;

/**
 * What one run measured: its backlog of {@code lines} drained from the first record consumed until every output
 * was committed and read back, and then the latency of lines produced at a steady rate.
 *
 * @param cpuSeconds CPU time of the whole process (broker, clients, stream threads, collector, compiler)
 * @param peakHeapBytes the sum of the heap pools' peaks during the run, the broker's heap included
 * @param cpuByThread CPU seconds by kind of Java thread; the collector and the compiler are not among them
 * @param outputs what the outputs held when the run was done
 * @param topics what the run wrote to each of its topics, internal ones included
 * @param loadAverage the machine's 1-minute load average when the drain ended: above the core count, other
 *                    processes took CPU from the run
 */
record RunFigures(String run, long lines, long bytes, double seconds, double cpuSeconds, double gcSeconds, long peakHeapBytes,
                  Latency latency, Map<String, Double> cpuByThread, String outputs, TopicVolumes topics,
                  double loadAverage) {

    double linesPerSecond() {
        return lines / seconds;
    }

    /** Megabytes (10^6 bytes) of input lines per second. */
    double megabytesPerSecond() {
        return bytes / seconds / 1e6;
    }

    double cpuMicrosPerLine() {
        return cpuSeconds * 1e6 / lines;
    }

    /**
     * End-to-end latency of the probe lines: from a line's Caddy timestamp (when it was produced) to when its
     * output could be read committed.
     */
    record Latency(int samples, double probeLinesPerSecond, long p50Ms, long p99Ms, long maxMs) {

        static Latency of(long[] millis, double probeLinesPerSecond) {
            long[] sorted = millis.clone();
            java.util.Arrays.sort(sorted);
            return new Latency(sorted.length, probeLinesPerSecond, rank(sorted, 0.50), rank(sorted, 0.99),
                    sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
        }

        /** Nearest-rank percentile; -1 when there are no samples. */
        private static long rank(long[] sorted, double quantile) {
            if (sorted.length == 0) {
                return -1;
            }
            int index = (int) Math.ceil(quantile * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }
    }
}
