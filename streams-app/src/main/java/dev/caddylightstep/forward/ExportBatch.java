package dev.caddylightstep.forward;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** The records of one export request, with the spans each carried, and what has become of its parts. Only the forwarder's thread uses it. */
final class ExportBatch {
    private final int maxSpans;
    private final int maxBytes;
    private final List<ConsumerRecord<byte[], byte[]>> records;
    /** The records with spans to export, as they are. */
    private final List<RecordSpans> parts;
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
    /** Partitions revoked since the batch was sealed: their spans are no longer this forwarder's to export. */
    private final Set<TopicPartition> dropped = new HashSet<>();
    /** Parts of the batch sent or waiting to be; the batch is finished when none is left. */
    private int openParts;
    private long firstAt;
    private int spanCount;
    private long bytes;

    /** At most {@code maxSpans} spans and {@code maxBytes} of span records. */
    ExportBatch(int maxSpans, int maxBytes) {
        this.maxSpans = maxSpans;
        this.maxBytes = maxBytes;
        // sized for a full batch from the start: growing them one copy at a time showed in the forwarder's allocations
        this.records = new ArrayList<>(maxSpans);
        this.parts = new ArrayList<>(maxSpans);
    }

    /**
     * Whether a record's spans ({@code null} for a record dead-lettered) may join this export. The request is its
     * records' bytes joined, so caddy.forward.max-export-bytes bounds the request itself.
     */
    boolean fits(RecordSpans spans) {
        if (spans == null) {
            return true;
        }
        return spanCount + spans.spans() <= maxSpans && bytes + spans.request().length <= maxBytes;
    }

    void add(ConsumerRecord<byte[], byte[]> record, RecordSpans spans) {
        if (records.isEmpty()) {
            firstAt = System.nanoTime();
        }
        records.add(record);
        nextOffsets.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
        if (spans != null && spans.spans() > 0) {
            parts.add(spans);
            spanCount += spans.spans();
            bytes += spans.request().length;
        }
    }

    boolean isEmpty() {
        return records.isEmpty();
    }

    /** A request with some of its spans is to be sent (the whole batch, or a half of a refused part). */
    void partOpened() {
        openParts++;
    }

    /** A request is settled: acknowledged, dead-lettered, or no longer this forwarder's. */
    void partClosed() {
        openParts--;
    }

    boolean isFinished() {
        return openParts == 0;
    }

    int spanCount() {
        return spanCount;
    }

    Duration age() {
        return Duration.ofNanos(System.nanoTime() - firstAt);
    }

    List<RecordSpans> parts() {
        return parts;
    }

    boolean covers(TopicPartition partition) {
        return nextOffsets.containsKey(partition);
    }

    boolean coversAny(Collection<TopicPartition> partitions) {
        return partitions.stream().anyMatch(nextOffsets::containsKey);
    }

    Map<TopicPartition, Long> nextOffsets() {
        return nextOffsets;
    }

    void drop(TopicPartition partition) {
        dropped.add(partition);
    }

    /** The spans still this forwarder's to export. */
    List<RecordSpans> owned(List<RecordSpans> of) {
        if (dropped.isEmpty()) {
            return of;
        }
        return of.stream().filter(spans -> !dropped.contains(spans.partition())).toList();
    }

    static int sizeOf(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? 0 : record.value().length;
    }
}
