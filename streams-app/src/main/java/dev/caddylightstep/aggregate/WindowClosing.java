package dev.caddylightstep.aggregate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the windows have closed, as a reader of the changelogs of the tasks' log times sees it. Each task that makes
 * partials saves its log time there once that time closes another window; each merging task saves its own once it has
 * closed the windows that time closes, in the transaction that wrote what closing them raised (the group's closed
 * windows, the alerts). A merging task's time is the least its partial tasks told it, and it holds that back for
 * {@link #LONGEST_HOLD} for a running task that has no time yet, longer for one between instances ({@link WindowMerge}):
 * until every
 * merging task's time has reached the least of the partial tasks' times, windows the lines close, and their alerts,
 * are still to come. One thread takes the records; any may ask.
 */
public final class WindowClosing {
    /**
     * The longest a merging task holds its time back for a running partial task that has no time yet, or whose time
     * stands still. One that runs nowhere (its instance died and the group has not moved it yet) holds it for up to
     * {@link WindowMerge#TAKEOVER_MS}.
     */
    public static final Duration LONGEST_HOLD = Duration.ofMillis(WindowMerge.SOURCE_SILENCE_MS);

    private final WindowSettings windows;
    private final String partialTimesTopic;
    private final String mergeTimesTopic;
    private final int partitions;
    private final Map<Integer, Long> partialTimes = new ConcurrentHashMap<>();
    private final Map<Integer, Long> mergeTimes = new ConcurrentHashMap<>();

    /**
     * @param applicationId the pipeline's application.id, which names its changelogs
     * @param partitions the access topic's partitions: as many tasks make partials, and as many merge them
     */
    public WindowClosing(String applicationId, WindowSettings windows, int partitions) {
        this.windows = windows;
        // Kafka Streams names a store's changelog <application.id>-<store>-changelog
        this.partialTimesTopic = applicationId + "-" + AggregateStage.STREAM_TIME_STORE + "-changelog";
        this.mergeTimesTopic = applicationId + "-" + AggregateStage.MERGE_TIME_STORE + "-changelog";
        this.partitions = partitions;
    }

    /** The changelogs to read from their start, read_committed. */
    public List<String> topics() {
        return List.of(partialTimesTopic, mergeTimesTopic);
    }

    /** Every partition of {@link #topics()}: until each is read, what this says is not yet known. */
    public List<TopicPartition> partitions() {
        List<TopicPartition> all = new ArrayList<>();
        for (String topic : topics()) {
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
        }
        return all;
    }

    /** Takes a record of one of {@link #topics()}; true when it moved a task's time. */
    public boolean take(String topic, int partition, byte[] key, byte[] value) {
        String name = key == null ? "" : new String(key, StandardCharsets.UTF_8);
        Map<Integer, Long> times;
        if (topic.equals(partialTimesTopic) && name.equals(PartialWindows.STREAM_TIME)) {
            times = partialTimes;
        } else if (topic.equals(mergeTimesTopic) && name.equals(WindowMerge.STREAM_TIME)) {
            times = mergeTimes;
        } else {
            // a merging task's saved times of its partial tasks, or a topic this does not read
            return false;
        }
        // a value is a Long as Kafka's LongSerializer writes it; a task's time is never deleted
        if (value == null || value.length != Long.BYTES) {
            return false;
        }
        long time = ByteBuffer.wrap(value).getLong();
        Long before = times.put(partition, time);
        return before == null || before != time;
    }

    /**
     * Whether every merging task has closed the windows that the least time of the partial tasks closes; true when no
     * partial task has a time yet (none has seen enough lines to close anything).
     */
    public boolean caughtUp() {
        if (partialTimes.isEmpty()) {
            return true;
        }
        if (mergeTimes.size() < partitions) {
            return false;
        }
        long least = leastClosed(partialTimes);
        return leastClosed(mergeTimes) >= least;
    }

    private long leastClosed(Map<Integer, Long> times) {
        return times.values().stream().mapToLong(windows::lastClosedWindow).min().orElse(Long.MIN_VALUE);
    }

    /** Where closing stands, for a message: the tasks' log times, by partition. */
    public String describe() {
        return "the merging tasks' log times are " + text(mergeTimes) + ", the partial tasks' " + text(partialTimes);
    }

    private static String text(Map<Integer, Long> times) {
        return times.isEmpty() ? "none" : times.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ": " + Instant.ofEpochMilli(e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
