package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * A rolling restart as an operator runs one: a broker at a time is stopped cleanly and started again, and the next
 * is stopped only once every partition has all its replicas in sync again. Stopping a broker while another's
 * replicas catch up would leave a partition with one replica in sync, under {@code min.insync.replicas=2}: its
 * writes refused until the catch-up ends.
 */
final class RollingRestart {
    /** What the restart does to the brokers (numbered from 0); the soak's are processes. */
    interface Brokers {
        String name(int broker);

        void stop(int broker) throws InterruptedException;

        /** Starts the broker and returns once it serves. */
        void start(int broker) throws InterruptedException;

        /** Partitions with fewer replicas in sync than assigned, or -1 when the cluster does not say. */
        int underReplicatedPartitions() throws InterruptedException;
    }

    /** One broker's restart, in nanoseconds of {@code clock}: asked to stop, ended, serving again, caught up. */
    record Restarted(int broker, long stoppingNanos, long stoppedNanos, long upNanos, long inSyncNanos) {
    }

    private final Brokers brokers;
    private final Duration inSyncTimeout;
    private final Duration poll;
    private final LongSupplier clock;

    RollingRestart(Brokers brokers, Duration inSyncTimeout, Duration poll, LongSupplier clock) {
        this.brokers = brokers;
        this.inSyncTimeout = inSyncTimeout;
        this.poll = poll;
        this.clock = clock;
    }

    /**
     * Restarts brokers 0 to {@code count - 1} in turn, from a cluster in sync; {@code stopping} hears of each just
     * before its stop. Throws, stopping no further broker, when the replicas are not in sync {@code inSyncTimeout}
     * after a start.
     */
    List<Restarted> run(int count, IntConsumer stopping) throws InterruptedException {
        awaitInSync("before the first stop");
        List<Restarted> restarted = new ArrayList<>();
        for (int broker = 0; broker < count; broker++) {
            stopping.accept(broker);
            long asked = clock.getAsLong();
            brokers.stop(broker);
            long stopped = clock.getAsLong();
            brokers.start(broker);
            long up = clock.getAsLong();
            awaitInSync("after " + brokers.name(broker) + " started again");
            restarted.add(new Restarted(broker, asked, stopped, up, clock.getAsLong()));
        }
        return restarted;
    }

    /** Returns once every partition has all its replicas in sync; throws after {@code inSyncTimeout}. */
    void awaitInSync(String when) throws InterruptedException {
        long deadline = clock.getAsLong() + inSyncTimeout.toNanos();
        int under;
        while ((under = brokers.underReplicatedPartitions()) != 0) {
            if (clock.getAsLong() >= deadline) {
                throw new IllegalStateException((under < 0 ? "the cluster not saying whether its partitions are in sync"
                        : under + " partitions still under-replicated") + " " + inSyncTimeout.toSeconds() + " s " + when);
            }
            Thread.sleep(poll.toMillis());
        }
    }
}
