package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The committed offsets of the soak's consumer groups (the stream threads' on the access topic, the forwarders' on the
 * spans topic), read twice a second for the whole run: when each partition's committed output last moved. From them,
 * the stall after each fault: from the fault to the moment every partition committed again.
 */
final class CommitWatch implements Runnable, AutoCloseable {
    private static final Duration EVERY = Duration.ofMillis(500);

    private final Admin admin;
    private final List<Watched> watched;
    private final long startNanos;
    private final Map<String, Map<TopicPartition, Long>> lastOffsets = new HashMap<>();
    /** Per label and partition, when its committed offset was seen to have moved. */
    private final Map<String, Map<TopicPartition, List<Advance>>> advances = new HashMap<>();
    private final Map<String, Long> lastRead = new HashMap<>();
    private volatile boolean running = true;

    /**
     * A committed offset seen to have moved between two reads: the commit happened after {@code sinceNanos} (the read
     * before) and by {@code atNanos} (nanoseconds from the start).
     */
    record Advance(long sinceNanos, long atNanos) {
    }

    /** A consumer group whose commits on a topic are watched, under a short label for the report. */
    record Watched(String label, String group, String topic) {
    }

    /** A group's stall after a fault: the longest wait of a partition, and which. */
    record Stall(Duration length, String partition, boolean resumed) {
    }

    CommitWatch(String bootstrapServers, List<Watched> watched, long startNanos) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000));
        this.watched = List.copyOf(watched);
        this.startNanos = startNanos;
    }

    @Override
    public void run() {
        while (running) {
            long due = System.nanoTime() + EVERY.toNanos();
            watched.forEach(this::read);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Each watched group's stall after a fault that began {@code at} from the start, by label. */
    synchronized Map<String, Stall> stallsAfter(Duration at) {
        Map<String, Stall> stalls = new LinkedHashMap<>();
        for (Watched w : watched) {
            stalls.put(w.label(), stall(advances.getOrDefault(w.label(), Map.of()), at.toNanos(), System.nanoTime() - startNanos));
        }
        return stalls;
    }

    /**
     * The longest wait, over the partitions, from {@code faultNanos} to the partition's first commit after it (as
     * seen by the first read that shows it: at most half a second late); a partition that has not committed since is
     * waiting still, counted until {@code nowNanos}.
     */
    static Stall stall(Map<TopicPartition, List<Advance>> advances, long faultNanos, long nowNanos) {
        Stall longest = new Stall(Duration.ZERO, "", true);
        for (Map.Entry<TopicPartition, List<Advance>> entry : advances.entrySet()) {
            long next = firstAfter(entry.getValue(), faultNanos);
            boolean resumed = next >= 0;
            Duration wait = Duration.ofNanos((resumed ? next : nowNanos) - faultNanos);
            if (wait.compareTo(longest.length()) > 0) {
                longest = new Stall(wait, entry.getKey().toString(), resumed);
            }
        }
        return longest;
    }

    /** When the first commit surely made after {@code t} was seen: a move seen by a read, since a read at or after t. */
    private static long firstAfter(List<Advance> advances, long t) {
        for (Advance advance : advances) {
            if (advance.sinceNanos() >= t) {
                return advance.atNanos();
            }
        }
        return -1;
    }

    private void read(Watched w) {
        Map<TopicPartition, OffsetAndMetadata> offsets;
        try {
            offsets = admin.listConsumerGroupOffsets(w.group()).partitionsToOffsetAndMetadata().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the broker is down, or the group's coordinator moving: nothing committed can be seen now either
            return;
        }
        long now = System.nanoTime() - startNanos;
        synchronized (this) {
            Map<TopicPartition, Long> last = lastOffsets.computeIfAbsent(w.label(), g -> new HashMap<>());
            Map<TopicPartition, List<Advance>> moved = advances.computeIfAbsent(w.label(), g -> new HashMap<>());
            Long since = lastRead.put(w.label(), now);
            offsets.forEach((partition, offset) -> {
                if (offset == null || !partition.topic().equals(w.topic())) {
                    return;
                }
                Long before = last.put(partition, offset.offset());
                List<Advance> times = moved.computeIfAbsent(partition, p -> new ArrayList<>());
                if (before != null && since != null && offset.offset() > before) {
                    times.add(new Advance(since, now));
                }
            });
        }
    }

    @Override
    public void close() {
        running = false;
        admin.close(Duration.ofSeconds(5));
    }
}
