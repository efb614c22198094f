package dev.caddylightstep.loadtest.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * One reading of the clocks a run is measured by: wall time, the CPU time of the whole process (every thread, the
 * broker's, the garbage collector's and the JIT compiler's included) and the time the collectors reported.
 */
record Clocks(long wallNanos, long cpuNanos, long gcMillis) {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    static Clocks now() {
        long gc = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, collector.getCollectionTime());
        }
        return new Clocks(System.nanoTime(), OS.getProcessCpuTime(), gc);
    }

    double secondsSince(Clocks start) {
        return (wallNanos - start.wallNanos) / 1e9;
    }

    double cpuSecondsSince(Clocks start) {
        return (cpuNanos - start.cpuNanos) / 1e9;
    }

    double gcSecondsSince(Clocks start) {
        return (gcMillis - start.gcMillis) / 1e3;
    }
}
