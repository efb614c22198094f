package dev.caddylightstep.forward;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;

/**
 * One export request: spans of one batch (all of them, or a half of a part the backend refused), sent not before
 * {@code notBefore} (System.nanoTime()), and the backoff its next failure waits out.
 */
record BatchPart(ExportBatch batch, List<SpanData> spans, Duration backoff, long notBefore, Attempt attempt) {
    /** A sealed batch's first request, to be sent at once. */
    static BatchPart first(ExportBatch batch) {
        return new BatchPart(batch, batch.spans(), Backoff.FIRST, 0, Attempt.FIRST);
    }

    /** This part with only the spans still this forwarder's to export (itself when all are): a rebalance may take some. */
    BatchPart owned() {
        List<SpanData> owned = batch.owned(spans);
        return owned.size() == spans.size() ? this : new BatchPart(batch, owned, backoff, notBefore, attempt);
    }

    enum Attempt {
        /** A batch's first request: it counts against caddy.forward.max-spans-per-second. */
        FIRST,
        /** The same spans again after a failure and a backoff. */
        RETRY,
        /** Half of a request the backend refused as malformed or too large. */
        HALF
    }
}
