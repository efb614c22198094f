package dev.caddylightstep.forward;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the forwarder may commit: per partition, its sealed batches in the order their records were consumed, and an
 * offset moves past a batch only once that batch and every one before it are finished. With several requests in
 * flight, a later batch answered first must not commit past an earlier one still waiting or being retried. Only the
 * forwarder's thread uses it.
 */
final class CommitLedger {
    /** The position of a partition with nothing in hand, or -1 when something is (or it is no longer assigned). */
    static final long NOT_IDLE = -1;

    private final Map<TopicPartition, Deque<Mark>> marks = new HashMap<>();
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();

    /** A sealed batch takes its place in the ledger of each of its partitions. */
    void add(ExportBatch batch) {
        batch.nextOffsets().forEach((partition, next) -> marks.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(new Mark(batch, next)));
    }

    /**
     * Takes, per partition, the offset past the finished batches at the head of its ledger. When every record polled
     * from a partition is in a finished batch, its position ({@code idlePosition}) is past nothing but transaction
     * markers (and aborted records): committing it, not the offset after the last record, leaves no lag of 1 behind
     * the marker on every partition of the transactional spans topic.
     */
    void collectFinished(ToLongFunction<TopicPartition> idlePosition) {
        marks.forEach((partition, queue) -> {
            Mark last = null;
            int finished = 0;
            for (Mark mark : queue) {
                if (!mark.batch().isFinished()) {
                    break;
                }
                last = mark;
                finished++;
            }
            if (last == null) {
                return;
            }
            long next = last.nextOffset();
            if (finished == queue.size()) {
                // may fail (a position Kafka has to be asked for): the marks stay until it is known
                next = Math.max(next, idlePosition.applyAsLong(partition));
            }
            for (int i = 0; i < finished; i++) {
                queue.poll();
            }
            uncommitted.put(partition, new OffsetAndMetadata(next));
        });
    }

    /** The offsets collected and not yet committed (a failed commit keeps them for the next). */
    Map<TopicPartition, OffsetAndMetadata> uncommitted() {
        return uncommitted;
    }

    void committed() {
        uncommitted.clear();
    }

    /** A partition gone to another forwarder: nothing more is committed for it, and its spans are dropped from its batches. */
    void forget(TopicPartition partition) {
        uncommitted.remove(partition);
        Deque<Mark> queue = marks.remove(partition);
        if (queue != null) {
            queue.forEach(mark -> mark.batch().drop(partition));
        }
    }

    /** A batch's place in a partition: once it is finished, offsets up to {@code nextOffset} may be committed. */
    private record Mark(ExportBatch batch, long nextOffset) {
    }
}
