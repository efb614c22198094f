package dev.caddylightstep.forward;

import java.util.Collection;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * The forwarder's part in a rebalance; it runs inside poll, on the forwarder's thread. Before a partition goes to
 * another forwarder, the requests in flight with its spans get their answer and what was acknowledged is committed, so
 * that the next owner starts after it; the rest of the partition's spans are left to that owner: not sent again here,
 * and not committed.
 */
final class PartitionHandover implements ConsumerRebalanceListener {
    private final BatchInHand inHand;
    private final ExportRequests requests;
    private final OffsetCommits commits;
    private final BooleanSupplier running;
    /** Set once the group has assigned this forwarder its partitions (none, when there are more forwarders than partitions). */
    private volatile boolean joined;

    PartitionHandover(BatchInHand inHand, ExportRequests requests, OffsetCommits commits, BooleanSupplier running) {
        this.inHand = inHand;
        this.requests = requests;
        this.commits = commits;
        this.running = running;
    }

    boolean joined() {
        return joined;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        inHand.seal();
        // when stopping, the forwarder has waited and committed already, and the consumer's close is what revokes
        if (running.getAsBoolean()) {
            requests.awaitInFlight(batch -> batch.coversAny(partitions));
            commits.commitBeforeRevocation(inHand.batch());
        }
        forget(partitions);
    }

    /** Lost partitions may already be another's: nothing can be committed for them. */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        inHand.seal();
        forget(partitions);
    }

    /** Called after every rebalance, with no partitions too. */
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        joined = true;
    }

    /** The ledger first: it marks the partitions' spans dropped from their batches, which is what the requests then leave out. */
    private void forget(Collection<TopicPartition> partitions) {
        commits.forget(partitions);
        requests.keepOwned();
    }
}
