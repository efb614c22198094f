package dev.caddylightstep.forward;

import dev.caddylightstep.deadletter.DeadLetterReason;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of an export request the backend did not acknowledge. One it refuses as malformed or too large is split
 * in halves until the spans it refuses are found, and those are dead-lettered with the reason; any other failure sends
 * the same spans again after a backoff, since nothing may be lost. Only the forwarder's thread uses it.
 */
final class ExportPolicy {
    /** The forwarder's lines keep the forwarder's name whichever of its classes writes them. */
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);

    private final Backoff backoff;
    private final DeadLetterWriter deadLetters;
    private final ForwarderMetrics metrics;
    /** A refused token or a limit set too high fails every request until an operator acts. */
    private final LogLimit<ExportFailure> logLimit = new LogLimit<>();

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
        log(failure, why, part.spans().size(), part.backoff());
        if (failure == ExportFailure.MALFORMED || failure == ExportFailure.TOO_LARGE) {
            return split(part, failure, why);
        }
        if (failure == ExportFailure.THROTTLED) {
            metrics.throttled.increment();
        }
        long jittered = Backoff.jitteredMillis(part.backoff());
        return List.of(new BatchPart(part.batch(), part.spans(), backoff.next(part.backoff()),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(jittered), BatchPart.Attempt.RETRY));
    }

    private List<BatchPart> split(BatchPart part, ExportFailure failure, String why) {
        List<SpanData> spans = part.spans();
        if (spans.size() > 1) {
            int half = spans.size() / 2;
            part.batch().partOpened();
            return List.of(new BatchPart(part.batch(), spans.subList(0, half), Backoff.FIRST, 0, BatchPart.Attempt.HALF),
                    new BatchPart(part.batch(), spans.subList(half, spans.size()), Backoff.FIRST, 0, BatchPart.Attempt.HALF));
        }
        if (part.owned().spans().isEmpty()) {
            part.batch().partClosed();
            return List.of();
        }
        SpanData span = spans.get(0);
        ConsumerRecord<byte[], byte[]> source = part.batch().sourceOf(span);
        String which = "span " + span.getSpanId() + " of trace " + span.getTraceId();
        if (failure == ExportFailure.TOO_LARGE) {
            deadLetters.write(source, DeadLetterReason.TOO_LARGE, "the backend refused " + which + " as too large even on its own: " + why);
        } else {
            deadLetters.write(source, DeadLetterReason.REJECTED_BY_BACKEND, "the backend rejected " + which + ": " + why);
        }
        metrics.deadLettered.increment();
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
