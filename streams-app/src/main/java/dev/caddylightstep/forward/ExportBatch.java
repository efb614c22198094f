package dev.caddylightstep.forward;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
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
    private final List<SpanData> spans;
    private final Map<SpanData, ConsumerRecord<byte[], byte[]>> sources;
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
    /** Partitions revoked since the batch was sealed: their spans are no longer this forwarder's to export. */
    private final Set<TopicPartition> dropped = new HashSet<>();
    /** Parts of the batch sent or waiting to be; the batch is finished when none is left. */
    private int openParts;
    private long firstAt;
    private long bytes;

    /** At most {@code maxSpans} spans and {@code maxBytes} of span records. */
    ExportBatch(int maxSpans, int maxBytes) {
        this.maxSpans = maxSpans;
        this.maxBytes = maxBytes;
        // sized for a full batch from the start: growing them one copy at a time showed in the forwarder's allocations
        this.records = new ArrayList<>(maxSpans);
        this.spans = new ArrayList<>(maxSpans);
        this.sources = new IdentityHashMap<>(maxSpans);
    }

    /**
     * Whether a record's spans may join this export. Records are counted by their size: the exporter encodes
     * the same spans, resources and scopes again, so a request is about as large as its records together, and
     * the byte bound (caddy.forward.max-export-bytes) leaves room below the backend's limit for the difference.
     */
    boolean fits(List<SpanData> decoded, ConsumerRecord<byte[], byte[]> record) {
        if (decoded == null) {
            return true;
        }
        return spans.size() + decoded.size() <= maxSpans && bytes + sizeOf(record) <= maxBytes;
    }

    void add(ConsumerRecord<byte[], byte[]> record, List<SpanData> decoded) {
        if (records.isEmpty()) {
            firstAt = System.nanoTime();
        }
        records.add(record);
        nextOffsets.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
        if (decoded != null) {
            bytes += sizeOf(record);
            for (SpanData span : decoded) {
                spans.add(span);
                sources.put(span, record);
            }
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
        return spans.size();
    }

    Duration age() {
        return Duration.ofNanos(System.nanoTime() - firstAt);
    }

    List<SpanData> spans() {
        return spans;
    }

    ConsumerRecord<byte[], byte[]> sourceOf(SpanData span) {
        return sources.get(span);
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
    List<SpanData> owned(List<SpanData> of) {
        if (dropped.isEmpty()) {
            return of;
        }
        return of.stream().filter(span -> {
            ConsumerRecord<byte[], byte[]> source = sources.get(span);
            return !dropped.contains(new TopicPartition(source.topic(), source.partition()));
        }).toList();
    }

    static int sizeOf(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? 0 : record.value().length;
    }
}
