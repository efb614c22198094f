package dev.caddylightstep.loadtest.bench;

import java.util.Map;

/**
 * What one run measured: its backlog of {@code lines} drained from the lane's resume until every output was
 * committed and read back, its rate and CPU taken over the middle of that drain ({@link DrainWindow}), and then the
 * latency of lines produced at a steady rate.
 *
 * @param measuredShare the share of the backlog drained within the measured window
 * @param measuredSeconds the measured window's length
 * @param cpuSeconds CPU time of the whole process within the window (broker, clients, stream threads, collector,
 *                   compiler)
 * @param gcSeconds the collectors' time within the window
 * @param peakHeapBytes the sum of the heap pools' peaks during the drain, the broker's heap included
 * @param cpuByThread CPU seconds within the window by kind of thread, the JVM's compiler, collector and VM threads
 *                    among them
 * @param drainSeconds from the lane's resume until every output was read back committed
 * @param commitWaitSeconds from the moment the lane's consumers had returned the backlog's last line until every
 *                          output was read back committed
 * @param jitQuietSeconds how long the JIT compiler took to fall quiet before the drain
 * @param outputs what the outputs held when the run was done
 * @param topics what the backlog's drain wrote to each of the lane's topics, internal ones included
 * @param loadAverage the machine's 1-minute load average when the drain ended: above the core count, other
 *                    processes took CPU from the run
 * @param workSeconds CPU seconds within the window of the threads that do the lane's own work ({@link Lane#doesWork})
 */
record RunFigures(String run, long lines, long bytes, double measuredShare, double measuredSeconds, double cpuSeconds, double gcSeconds,
                  long peakHeapBytes, Latency latency, Map<String, Double> cpuByThread, double drainSeconds,
                  double commitWaitSeconds, double jitQuietSeconds, String outputs, TopicVolumes topics, double loadAverage,
                  double workSeconds) {

    /** The backlog's lines drained within the measured window. */
    double measuredLines() {
        return lines * measuredShare;
    }

    double linesPerSecond() {
        return measuredLines() / measuredSeconds;
    }

    /** Megabytes (10^6 bytes) of input lines per second. */
    double megabytesPerSecond() {
        return bytes * measuredShare / measuredSeconds / 1e6;
    }

    double cpuMicrosPerLine() {
        return cpuSeconds * 1e6 / measuredLines();
    }

    /** The CPU per line of the lane's own work: the stream threads', the pass-through thread's. */
    double workMicrosPerLine() {
        return workSeconds * 1e6 / measuredLines();
    }

    double jitCompilerSeconds() {
        return cpuByThread.getOrDefault(ThreadCpu.JIT_COMPILER, 0.0);
    }

    /** The JIT compiler's share of the process's CPU within the window: near 0 when the warm-up did its work. */
    double jitCompilerShare() {
        return cpuSeconds > 0 ? jitCompilerSeconds() / cpuSeconds : 0;
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
