package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.otlp.SpanRecordReader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an export request the backend did not acknowledge, or acknowledged having dropped some of its spans.
 * One it refuses as malformed or too large is split in halves until the spans it refuses are found, and those are
 * dead-lettered with the reason; any other failure sends the same spans again after a backoff, since nothing may be
 * lost. A record is taken apart into its spans only when it is alone in a refused request. Only the forwarder's thread
 * uses it.
 */
final class ExportPolicy {
    /** The forwarder's lines keep the forwarder's name whichever of its classes writes them. */
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);

    private final Backoff backoff;
    private final DeadLetterWriter deadLetters;
    private final ForwarderMetrics metrics;
    /** A refused token or a limit set too high fails every request until an operator acts. */
    private final LogLimit<ExportFailure> logLimit = new LogLimit<>();
    /** A backend that drops spans, or warns, does so for every request alike: by whether it dropped any. */
    private final LogLimit<Boolean> partialSuccessLog = new LogLimit<>();

    ExportPolicy(Backoff backoff, DeadLetterWriter deadLetters, ForwarderMetrics metrics) {
        this.backoff = backoff;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    /**
     * The requests to send next in place of the failed one, first to last: the same spans after a backoff, or its two
     * halves; none once its one span is dead-lettered, or is no longer this forwarder's.
     */
    List<BatchPart> afterFailure(BatchPart part, ExportFailure failure, String why) {
        metrics.failedAttempts.increment();
        log(failure, why, part.spanCount(), part.backoff());
        if (failure == ExportFailure.MALFORMED || failure == ExportFailure.TOO_LARGE) {
            return split(part, failure, why);
        }
        if (failure == ExportFailure.THROTTLED) {
            metrics.throttled.increment();
        }
        long jittered = Backoff.jitteredMillis(part.backoff());
        return List.of(new BatchPart(part.batch(), part.parts(), backoff.next(part.backoff()),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(jittered), BatchPart.Attempt.RETRY));
    }

    /**
     * How many spans of an acknowledged request the backend dropped, by its answer's partial success: counted, and
     * logged with the backend's words, at most a line a minute. OTLP's partial success says how many, not which, and
     * asks that the request not be sent again: those spans cannot be dead-lettered, and the request is committed. A
     * count outside 0 to the request's spans is the backend's error, taken as the nearest of the two.
     */
    int afterAcknowledgement(int spans, ExportAnswer answer) {
        int rejected = (int) Math.max(0, Math.min(spans, answer.rejectedSpans()));
        if (rejected > 0) {
            metrics.rejected.increment(rejected);
        }
        if ((rejected > 0 || !answer.why().isEmpty()) && partialSuccessLog.allows(rejected > 0)) {
            if (rejected > 0) {
                LOG.warn("the backend acknowledged an export of {} spans and dropped {} of them ({}): its answer does not say "
                        + "which, so they are counted in caddy_forward_spans_rejected_total and not dead-lettered", spans,
                        rejected, answer.why().isEmpty() ? "no reason given" : answer.why());
            } else {
                LOG.warn("the backend acknowledged an export of {} spans with a warning: {}", spans, answer.why());
            }
        }
        return rejected;
    }

    private List<BatchPart> split(BatchPart part, ExportFailure failure, String why) {
        if (part.owned().parts().isEmpty()) {
            part.batch().partClosed();
            return List.of();
        }
        List<RecordSpans> parts = part.parts();
        if (parts.size() == 1 && parts.get(0).spans() > 1) {
            RecordSpans whole = parts.get(0);
            try {
                Optional<List<RecordSpans>> apart = whole.apart();
                if (apart.isEmpty()) {
                    return deadLettered(part, failure, whole.spans() + " spans of a record that would be more than "
                            + RecordSpans.MAX_GROWTH + " times its " + whole.request().length + " bytes taken apart (its spans share "
                            + "a resource)", why);
                }
                parts = apart.get();
            } catch (InvalidProtocolBufferException e) {
                return deadLettered(part, failure, whole.spans() + " spans of a record that cannot be taken apart ("
                        + e.getMessage() + ")", why);
            }
        }
        if (parts.size() > 1) {
            int half = halfway(parts);
            part.batch().partOpened();
            return List.of(new BatchPart(part.batch(), parts.subList(0, half), Backoff.FIRST, 0, BatchPart.Attempt.HALF),
                    new BatchPart(part.batch(), parts.subList(half, parts.size()), Backoff.FIRST, 0, BatchPart.Attempt.HALF));
        }
        return deadLettered(part, failure, spanName(parts.get(0)), why);
    }

    /** Where a request's spans divide into halves, each with at least one of its parts. */
    private static int halfway(List<RecordSpans> parts) {
        int total = 0;
        for (RecordSpans spans : parts) {
            total += spans.spans();
        }
        int half = 1;
        int first = parts.get(0).spans();
        while (half < parts.size() - 1 && first + parts.get(half).spans() <= total / 2) {
            first += parts.get(half).spans();
            half++;
        }
        return half;
    }

    private static String spanName(RecordSpans span) {
        try {
            return SpanRecordReader.firstSpanName(span.request());
        } catch (InvalidProtocolBufferException e) {
            return "a span that cannot be read (" + e.getMessage() + ")";
        }
    }

    /**
     * The refused part alone, with which of its spans the backend refused: the export request it was, the record itself
     * or one span taken out of it under its resource and scope, so that a record whose every span is refused makes dead
     * letters no larger in all than a few times itself ({@link RecordSpans#MAX_GROWTH}). The headers name the record it
     * came from.
     */
    private List<BatchPart> deadLettered(BatchPart part, ExportFailure failure, String which, String why) {
        RecordSpans refused = part.parts().get(0);
        if (failure == ExportFailure.TOO_LARGE) {
            deadLetters.write(refused.source(), refused.request(), DeadLetterReason.TOO_LARGE,
                    "the backend refused " + which + " as too large even on its own: " + why);
        } else {
            deadLetters.write(refused.source(), refused.request(), DeadLetterReason.REJECTED_BY_BACKEND,
                    "the backend rejected " + which + ": " + why);
        }
        metrics.deadLettered.increment(refused.spans());
        // only once the dead letter is written may the batch be committed past the span
        part.batch().partClosed();
        return List.of();
    }

    private void log(ExportFailure failure, String why, int spans, Duration backoff) {
        switch (failure) {
            case REFUSED -> {
                if (logLimit.allows(failure)) {
                    LOG.error("the backend refuses the export ({}): check the endpoint and LS_ACCESS_TOKEN; retrying, nothing is dropped", why);
                }
            }
            case TOO_LARGE -> {
                if (logLimit.allows(failure)) {
                    LOG.warn("the backend refused an export of {} spans as too large ({}); sending it in halves. Set "
                            + "caddy.forward.max-export-bytes under the backend's limit to save the refused requests", spans, why);
                }
            }
            // the dead letters say which spans were rejected and why
            case MALFORMED -> { }
            default -> LOG.warn("export of {} spans failed ({}); retrying in about {} ms", spans, why, backoff.toMillis());
        }
    }
}
