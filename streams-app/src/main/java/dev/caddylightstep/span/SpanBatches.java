package dev.caddylightstep.span;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordEncoder;
import dev.caddylightstep.otlp.SpanRecordReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The spans of one task on their way to the spans topic, gathered into one OTLP export request per partition of that
 * topic: the partition the producer's default partitioner gives each request's trace id, so that a trace's spans stay
 * together. The spans of one resource (a Caddy host and logger) share one ResourceSpans and its one ScopeSpans, as an
 * OpenTelemetry SDK's exporter groups them, rather than each request carrying a copy: a fifth of a span's bytes. The
 * Collector's Kafka receiver and the forwarder read a batch as it is.
 *
 * <p>It does not know when its task commits: its owner sends what {@link #add} says is full at once, {@link #drain}s
 * everything at the last look before each commit, and {@link #save}s in the commit what came after that look, which
 * {@link #restore} takes up again when the task starts or is revived.
 */
public final class SpanBatches {
    private final int partitions;
    private final SpanBatchSettings limits;
    /** The open batch of each partition; a partition without one has no entry. */
    private final Map<Integer, Open> open = new HashMap<>();
    /** The open batches as of the last commit, by partition: what a task that starts from that commit must still send. */
    private KeyValueStore<String, byte[]> store;

    /**
     * A record for the spans topic.
     *
     * @param key    the trace id of its first span: the producer's default partitioner sends it where its spans were
     *               gathered for. Not so if partitions were added to the topic since the instance read their count:
     *               each batch then goes where its first trace id goes now, and a trace's spans may be spread over two
     *               partitions or more until the instance restarts and reads the count again. A partitioner of their
     *               own could keep them together, but Kafka Streams asks the producer for the topic's partitions before
     *               each record it sends with one, and a failure there (the topic not authorized, say) becomes a
     *               dead letter of the batch instead of the failed send that stops the task
     * @param record an OTLP {@code ExportTraceServiceRequest}
     * @param spans  how many spans it holds
     */
    public record Batch(String key, byte[] record, int spans) {
    }

    /**
     * A batch still open: what it held when its task started, as one export request, then the spans added since, by
     * resource. Two serialized export requests one after the other are, in protobuf, the request holding both.
     */
    private static final class Open {
        final int partition;
        final String key;
        /** The batch as the store held it when the task started, or null. */
        byte[] restored;
        /** By resource, as the mapper's encodings are the same array for the same resource; in the order first added. */
        final Map<byte[], Group> groups = new LinkedHashMap<>();
        int spans;
        /** The batch's exact size once joined. */
        int bytes;
        /** Its bytes as last joined, until spans join it. */
        byte[] joined;
        /** Spans joined it since it was last saved. */
        boolean changed;
        /** The store holds a state of it, which must go when it is sent. */
        boolean stored;

        Open(int partition, String key) {
            this.partition = partition;
            this.key = key;
        }

        static Open restored(int partition, byte[] saved) {
            Open batch = new Open(partition, firstTraceId(saved));
            batch.restored = saved;
            batch.joined = saved;
            batch.spans = spanCount(saved);
            batch.bytes = saved.length;
            batch.stored = true;
            return batch;
        }

        /** Its size with a request's spans added. */
        int bytesWith(SpanMapper.RequestSpans request) {
            Group group = groups.get(request.resource());
            return group == null ? bytes + request.recordSize() : bytes - group.size() + group.sizeWith(request.spans().length);
        }

        /** @param bytesWith its {@link #bytesWith} these spans, as the caller already knows it */
        void add(SpanMapper.RequestSpans request, int bytesWith) {
            bytes = bytesWith;
            groups.computeIfAbsent(request.resource(), resource -> new Group(resource, request.scope())).add(request.spans());
            spans += request.count();
            joined = null;
            changed = true;
        }

        /**
         * Its spans as one export request, each resource's under one ResourceSpans; a batch saved in one commit and
         * added to after keeps its groups, so that it is sent grouped.
         */
        byte[] joined() {
            if (joined != null) {
                return joined;
            }
            byte[] all = new byte[bytes];
            int at = 0;
            if (restored != null) {
                System.arraycopy(restored, 0, all, 0, restored.length);
                at = restored.length;
            }
            for (Group group : groups.values()) {
                at = SpanRecordEncoder.writeResourceSpans(all, at, group.resource, group.scope, group.spans, group.spansBytes);
            }
            joined = all;
            return all;
        }
    }

    /** The spans of one resource in a batch: one ResourceSpans. */
    private static final class Group {
        final byte[] resource;
        final byte[] scope;
        /** Each request's spans fields. */
        final List<byte[]> spans = new ArrayList<>();
        int spansBytes;

        Group(byte[] resource, byte[] scope) {
            this.resource = resource;
            this.scope = scope;
        }

        void add(byte[] requestSpans) {
            spans.add(requestSpans);
            spansBytes += requestSpans.length;
        }

        int size() {
            return sizeWith(0);
        }

        int sizeWith(int moreBytes) {
            return SpanRecordEncoder.resourceSpansSize(resource, scope, spansBytes + moreBytes);
        }
    }

    /**
     * @param partitions the spans topic's partitions, as read when the instance started; 0 when not known, and then
     *     every span goes into one batch
     */
    public SpanBatches(int partitions, SpanBatchSettings limits) {
        this.partitions = partitions;
        this.limits = limits;
    }

    /** The partition of the spans topic the producer's default partitioner gives a record keyed by this trace id. */
    public static int partitionOf(String traceId, int partitions) {
        return partitions <= 0 ? 0 : Utils.toPositive(Utils.murmur2(traceId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * Forgets what this holds and takes up the batches the store held at the last commit: Kafka Streams initializes a
     * revived task again with its stores restored to that commit, and what came since must go, or it would be sent twice.
     */
    public void restore(KeyValueStore<String, byte[]> store) {
        this.store = store;
        open.clear();
        try (KeyValueIterator<String, byte[]> saved = store.all()) {
            saved.forEachRemaining(entry -> {
                // the partition it was gathered for, even if the topic has more partitions since: it is sent whole
                Open batch = Open.restored(Integer.parseInt(entry.key), entry.value);
                open.put(batch.partition, batch);
            });
        }
    }

    /**
     * Adds a request's spans to the batch of its trace's partition. A batch they would take past the limits is sent
     * first, and one they fill is sent with them: {@code send} has each at once.
     *
     * @throws RecordTooLargeException when the request's spans alone are larger than a batch may be: the request is a
     *     dead letter, while its source record is at hand
     */
    public void add(String traceId, SpanMapper.RequestSpans request, Consumer<Batch> send) {
        int alone = request.recordSize();
        if (alone > limits.maxBytes()) {
            throw new RecordTooLargeException("a span record of " + alone + " bytes, more than the " + limits.maxBytes()
                    + " a record of spans may hold (what the application writes, producer.max.request.size less "
                    + "headroom, and at most caddy.forward.max-export-bytes)");
        }
        int partition = partitionOf(traceId, partitions);
        Open batch = open.get(partition);
        int bytesWith = batch == null ? alone : batch.bytesWith(request);
        if (batch != null && (batch.spans + request.count() > limits.maxSpans() || bytesWith > limits.maxBytes())) {
            send.accept(sent(batch));
            batch = null;
            bytesWith = alone;
        }
        if (batch == null) {
            batch = new Open(partition, traceId);
            open.put(partition, batch);
        }
        batch.add(request, bytesWith);
        if (batch.spans >= limits.maxSpans()) {
            send.accept(sent(batch));
        }
    }

    /** Sends every open batch: at the last look before a commit, so that the commit holds them. */
    public void drain(Consumer<Batch> send) {
        for (Iterator<Open> batches = open.values().iterator(); batches.hasNext(); ) {
            Open batch = batches.next();
            batches.remove();
            send.accept(unsaved(batch));
        }
    }

    /** Before the task commits: each batch that changed since the last commit goes to the store, in this commit. */
    public void save() {
        for (Open batch : open.values()) {
            if (batch.changed) {
                store.put(Integer.toString(batch.partition), batch.joined());
                batch.changed = false;
                batch.stored = true;
            }
        }
    }

    private Batch sent(Open batch) {
        open.remove(batch.partition);
        return unsaved(batch);
    }

    /** The batch to send, and gone from the store in the same transaction. */
    private Batch unsaved(Open batch) {
        if (batch.stored) {
            store.delete(Integer.toString(batch.partition));
        }
        return new Batch(batch.key, batch.joined(), batch.spans);
    }

    private static int spanCount(byte[] record) {
        try {
            return SpanRecordReader.spanCount(record);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a span record as the span stage encoded it is an export request", e);
        }
    }

    private static String firstTraceId(byte[] record) {
        try {
            return SpanRecordReader.firstTraceId(record);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a batch this class saved is an export request of at least one span", e);
        }
    }
}
