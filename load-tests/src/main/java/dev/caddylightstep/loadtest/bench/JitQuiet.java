package dev.caddylightstep.loadtest.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Waits for the JIT compiler to fall quiet after the warm-up. On two cores, C2 still compiling the pipeline's code
 * (seconds of it: Jackson's parser, the producer, the stores) takes a core from the measured run and leaves part of
 * the code in C1 or the interpreter; a backlog of compilations measures the JIT, not the pipeline.
 */
final class JitQuiet {
    /** Less than this much compilation in a second counts as quiet. */
    private static final long QUIET_MILLIS_PER_SECOND = 50;

    private JitQuiet() {
    }

    /** How long it took to fall quiet, or {@code atMost} when it never did. */
    static Duration await(Duration atMost) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return Duration.ZERO;
        }
        long start = System.nanoTime();
        long before = jit.getTotalCompilationTime();
        while (System.nanoTime() - start < atMost.toNanos()) {
            Thread.sleep(1000);
            long now = jit.getTotalCompilationTime();
            if (now - before < QUIET_MILLIS_PER_SECOND) {
                break;
            }
            before = now;
        }
        return Duration.ofNanos(Math.min(System.nanoTime() - start, atMost.toNanos()));
    }
}
