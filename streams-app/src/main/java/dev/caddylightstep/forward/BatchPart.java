package dev.caddylightstep.forward;

import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * One export request: spans of one batch (all of them, or a half of a part the backend refused), sent not before
 * {@code notBefore} (System.nanoTime()), and the backoff its next failure waits out. It is its own body: its parts'
 * bytes joined, which protobuf reads as one request holding all their spans. The sender may write it on its own
 * threads, more than once when it retries; nothing changes it once made.
 */
record BatchPart(ExportBatch batch, List<RecordSpans> parts, Duration backoff, long notBefore, Attempt attempt) implements MessageWriter {
    /** A sealed batch's first request, to be sent at once. */
    static BatchPart first(ExportBatch batch) {
        return new BatchPart(batch, batch.parts(), Backoff.FIRST, 0, Attempt.FIRST);
    }

    /** This part with only the spans still this forwarder's to export (itself when all are): a rebalance may take some. */
    BatchPart owned() {
        List<RecordSpans> owned = batch.owned(parts);
        return owned.size() == parts.size() ? this : new BatchPart(batch, owned, backoff, notBefore, attempt);
    }

    /** The same request, not sent before {@code nanos}. */
    BatchPart notBefore(long nanos) {
        return new BatchPart(batch, parts, backoff, nanos, attempt);
    }

    int spanCount() {
        int spans = 0;
        for (RecordSpans part : parts) {
            spans += part.spans();
        }
        return spans;
    }

    @Override
    public void writeMessage(OutputStream out) throws IOException {
        for (RecordSpans part : parts) {
            out.write(part.request());
        }
    }

    @Override
    public int getContentLength() {
        int bytes = 0;
        for (RecordSpans part : parts) {
            bytes += part.request().length;
        }
        return bytes;
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
