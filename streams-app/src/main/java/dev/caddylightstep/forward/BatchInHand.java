package dev.caddylightstep.forward;

import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The batch the forwarder fills from what it consumes, up to caddy.forward.batch-size spans and
 * caddy.forward.max-export-bytes of span records. Once sealed it takes its place in the commit ledger of each of its
 * partitions and in the queue of requests to send, and a new one is begun. Only the forwarder's thread uses it.
 */
final class BatchInHand {
    /** A batch this old goes even while records keep coming, so that a steady trickle under the batch size is not held back. */
    private static final Duration LINGER = Duration.ofMillis(200);

    private final int maxSpans;
    private final int maxBytes;
    private final OffsetCommits commits;
    private final ExportRequests requests;
    private ExportBatch batch;

    BatchInHand(ForwarderSettings settings, OffsetCommits commits, ExportRequests requests) {
        this.maxSpans = settings.batchSize();
        this.maxBytes = settings.maxExportBytes();
        this.commits = commits;
        this.requests = requests;
        this.batch = new ExportBatch(maxSpans, maxBytes);
    }

    /** A record and its spans (null for one dead-lettered) join the batch, or the next one when they do not fit. */
    void add(ConsumerRecord<byte[], byte[]> record, RecordSpans spans) {
        if (!batch.fits(spans)) {
            seal();
        }
        batch.add(record, spans);
    }

    /** After a poll: a full batch goes, as does one that has lingered, or one the topic has nothing more for now. */
    void sealWhenDue(boolean pollWasEmpty) {
        if (batch.spanCount() >= maxSpans || batch.age().compareTo(LINGER) >= 0 || pollWasEmpty) {
            seal();
        }
    }

    /** Seals the batch when it holds any record. */
    void seal() {
        if (batch.isEmpty()) {
            return;
        }
        ExportBatch sealed = batch;
        batch = new ExportBatch(maxSpans, maxBytes);
        commits.add(sealed);
        requests.add(sealed);
    }

    ExportBatch batch() {
        return batch;
    }
}
