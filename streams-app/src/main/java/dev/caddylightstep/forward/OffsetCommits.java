package dev.caddylightstep.forward;

import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.Collection;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the forwarder's offsets past the batches its {@link CommitLedger} says are finished. Finished batches are
 * committed together at most every 100 ms, as Kafka Streams does with commit.interval.ms: a commit per batch cost the
 * broker's group coordinator more than the batch cost the forwarder. A crash may export this much again; a revocation
 * or a stop commits at once. Only the forwarder's thread uses it.
 */
final class OffsetCommits {
    /** The forwarder's lines keep the forwarder's name whichever of its classes writes them. */
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);
    private static final long INTERVAL_NANOS = Duration.ofMillis(100).toNanos();

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final CommitLedger ledger = new CommitLedger();
    private final KafkaRetry kafkaRetry;
    private final Counter kafkaRetries;
    private long lastCommitted = System.nanoTime();
    /** The last commit was refused for a rebalance under way, or the group's having moved on without this member. */
    private boolean refused;

    OffsetCommits(KafkaConsumer<byte[], byte[]> consumer, KafkaRetry kafkaRetry, Counter kafkaRetries) {
        this.consumer = consumer;
        this.kafkaRetry = kafkaRetry;
        this.kafkaRetries = kafkaRetries;
    }

    /** A sealed batch takes its place in the ledger of each of its partitions. */
    void add(ExportBatch sealed) {
        ledger.add(sealed);
    }

    /** Partitions gone to another forwarder: nothing more is committed for them. */
    void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            ledger.forget(partition);
        }
    }

    /**
     * Collects what is finished, and commits it once the interval since the last commit has passed. A commit refused
     * because this consumer is part way through a rebalance, or out of the group, waits for the next one: only the
     * consumer's own next poll takes it on, and the forwarder goes on to that poll. Retried before it, the commit failed
     * the same way for ever.
     */
    void commitWhenDue(ExportBatch inHand) {
        collectFinished(inHand);
        if (System.nanoTime() - lastCommitted >= INTERVAL_NANOS) {
            try {
                commitCollected();
                refused = false;
            } catch (RebalanceInProgressException | CommitFailedException e) {
                refused = true;
                kafkaRetry.note(e, "committing after the rebalance");
            }
        }
    }

    /**
     * Whether acknowledged spans wait for a commit Kafka refused. A rebalance lasts until every member has rejoined, or
     * until the session of one that died ends (45 s by default), and a broker's restart in it makes it longer: exports
     * made meanwhile are committed by no one if this forwarder dies too, and its partitions' next owner sends them
     * again. So nothing new is consumed until the commit goes through, or the partitions are gone.
     */
    boolean holdsBack() {
        return refused && !ledger.uncommitted().isEmpty();
    }

    /** Offsets Kafka cannot take now (its coordinator moving, say) are not worth failing the rebalance for. */
    void commitBeforeRevocation(ExportBatch inHand) {
        try {
            commitFinished(inHand);
        } catch (KafkaException e) {
            if (!KafkaRetry.passes(e)) {
                throw e;
            }
            kafkaRetries.increment();
            LOG.warn("offsets of revoked partitions not committed ({}): their next owner exports again what was acknowledged "
                    + "since the last commit", e.getMessage());
        }
    }

    /** A clean stop's last commit; offsets Kafka cannot take now are committed by the next start's revocations or exported again. */
    void commitAtStop(ExportBatch inHand) {
        try {
            commitOrWarn(inHand);
        } catch (WakeupException e) {
            // the wakeup of close() had not been taken by a poll yet
            commitOrWarn(inHand);
        }
    }

    private void commitOrWarn(ExportBatch inHand) {
        try {
            commitFinished(inHand);
        } catch (KafkaException e) {
            if (e instanceof WakeupException) {
                throw e;
            }
            LOG.warn("offsets not committed at stop ({}): the next forwarder exports again what was acknowledged since the last commit",
                    e.getMessage());
        }
    }

    private void commitFinished(ExportBatch inHand) {
        collectFinished(inHand);
        commitCollected();
    }

    /** A partition with records in the batch in hand is not idle: its position is past records not yet exported. */
    private void collectFinished(ExportBatch inHand) {
        ledger.collectFinished(partition -> !inHand.covers(partition) && consumer.assignment().contains(partition)
                ? consumer.position(partition) : CommitLedger.NOT_IDLE);
    }

    private void commitCollected() {
        lastCommitted = System.nanoTime();
        if (ledger.uncommitted().isEmpty()) {
            return;
        }
        // a commit that fails (the group rebalancing, its coordinator away) keeps the offsets for the next one; a
        // partition revoked meanwhile is committed by its revocation or by no one
        consumer.commitSync(ledger.uncommitted());
        ledger.committed();
        kafkaRetry.answered();
    }
}
