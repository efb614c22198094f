package dev.caddylightstep.span;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The span records of one task on their way to the spans topic, gathered into one OTLP export request per partition of
 * that topic: the partition the producer's default partitioner gives each request's trace id, so that a trace's spans
 * stay together. Two serialized export requests one after the other are, in protobuf, the request holding both: a
 * batch is its span records' bytes joined, and the Collector's Kafka receiver and the forwarder read it as it is.
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

    /** A batch still open, its records kept apart until it is sent or saved. */
    private static final class Open {
        final int partition;
        final String key;
        final List<byte[]> records = new ArrayList<>();
        int spans;
        int bytes;
        /** Spans joined it since it was last saved. */
        boolean changed;
        /** The store holds a state of it, which must go when it is sent. */
        boolean stored;

        Open(int partition, String key) {
            this.partition = partition;
            this.key = key;
        }

        void add(byte[] record, int recordSpans) {
            records.add(record);
            spans += recordSpans;
            bytes += record.length;
            changed = true;
        }

        /** Its records as one; kept so, for the next save or the send. */
        byte[] joined() {
            if (records.size() == 1) {
                return records.get(0);
            }
            byte[] all = new byte[bytes];
            int at = 0;
            for (byte[] record : records) {
                System.arraycopy(record, 0, all, at, record.length);
                at += record.length;
            }
            records.clear();
            records.add(all);
            return all;
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
                Open batch = new Open(Integer.parseInt(entry.key), firstTraceId(entry.value));
                batch.add(entry.value, spanCount(entry.value));
                batch.changed = false;
                batch.stored = true;
                open.put(batch.partition, batch);
            });
        }
    }

    /**
     * Adds a request's span record to the batch of its trace's partition. A batch the record would take past the limits
     * is sent first, and one the record fills is sent with it: {@code send} has each at once.
     *
     * @param spans the spans the record holds, as its mapper wrote them ({@link SpanMapper#spanCount}): told, not read
     *     again from the record, which cost a walk of its bytes for every request
     * @throws RecordTooLargeException when the record alone is larger than a batch may be: the request is a dead letter,
     *     while its source record is at hand
     */
    public void add(String traceId, byte[] record, int spans, Consumer<Batch> send) {
        if (record.length > limits.maxBytes()) {
            throw new RecordTooLargeException("a span record of " + record.length + " bytes, more than the " + limits.maxBytes()
                    + " a record of spans may hold (what the application writes, producer.max.request.size less "
                    + "headroom, and at most caddy.forward.max-export-bytes)");
        }
        int partition = partitionOf(traceId, partitions);
        Open batch = open.get(partition);
        if (batch != null && (batch.spans + spans > limits.maxSpans() || batch.bytes + record.length > limits.maxBytes())) {
            send.accept(sent(batch));
            batch = null;
        }
        if (batch == null) {
            batch = new Open(partition, traceId);
            open.put(partition, batch);
        }
        batch.add(record, spans);
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
