package dev.caddylightstep.testing;

import java.lang.management.ManagementFactory;

/**
 * The bytes the current thread has allocated on the heap, as HotSpot counts them: how a fuzz test bounds the work an
 * input causes (a number expanded to a gigabyte, a buffer the size of a whole stream) without looking inside the code.
 */
public final class ThreadAllocations {
    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private ThreadAllocations() {
    }

    private static com.sun.management.ThreadMXBean threads() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        if (!threads.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("this JVM does not count the bytes a thread allocates");
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        return threads;
    }

    /** A running total: the difference of two readings is what the thread allocated between them. */
    public static long current() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
