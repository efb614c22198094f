package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/** The failures a test asked the receiver to answer with; it judges each export before anything is kept. */
final class FaultPlan {
    private int refusalsLeft;
    /** Apart from the spans', so that a test of one signal is not upset by the other's requests. */
    private int metricRefusalsLeft;
    private ExportVerdict metricRefusal = ExportVerdict.ACCEPTED;
    private ExportVerdict refusal = ExportVerdict.ACCEPTED;
    private Predicate<Span> rejected = span -> false;
    private Predicate<Span> dropped = span -> false;
    private Predicate<Span> delayed = span -> false;
    private Duration delay = Duration.ZERO;

    synchronized void refuseNext(int requests, int httpStatus) {
        if (requests < 0) {
            throw new IllegalArgumentException("requests must be 0 or more, was " + requests);
        }
        if (httpStatus < 400 || httpStatus > 599) {
            throw new IllegalArgumentException("httpStatus must be a 4xx or 5xx refusal, was " + httpStatus);
        }
        refusalsLeft = requests;
        refusal = ExportVerdict.refused(httpStatus, "refused on purpose by the test receiver");
    }

    synchronized void refuseNextMetrics(int requests, int httpStatus) {
        if (requests < 0 || httpStatus < 400 || httpStatus > 599) {
            throw new IllegalArgumentException("requests must be 0 or more and httpStatus a 4xx or 5xx, were " + requests + ", " + httpStatus);
        }
        metricRefusalsLeft = requests;
        metricRefusal = ExportVerdict.refused(httpStatus, "refused on purpose by the test receiver");
    }

    synchronized ExportVerdict verdictOnMetrics() {
        if (metricRefusalsLeft > 0) {
            metricRefusalsLeft--;
            return metricRefusal;
        }
        return ExportVerdict.ACCEPTED;
    }

    synchronized void rejectSpansMatching(Predicate<Span> predicate) {
        rejected = Objects.requireNonNull(predicate, "predicate");
    }

    synchronized void dropSpansMatching(Predicate<Span> predicate) {
        dropped = Objects.requireNonNull(predicate, "predicate");
    }

    /** Whether an accepted request's span is left out of what is kept, its answer counting it as rejected. */
    synchronized boolean drops(Span span) {
        return dropped.test(span);
    }

    synchronized void delaySpansMatching(Predicate<Span> predicate, Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the delay must be 0 or more, was " + by);
        }
        delayed = Objects.requireNonNull(predicate, "predicate");
        delay = by;
    }

    /** How long to wait before judging a request; waited out by the caller, so that other requests go on meanwhile. */
    synchronized Duration delayOf(List<ReceivedSpan> spans) {
        return spans.stream().anyMatch(span -> delayed.test(span.span())) ? delay : Duration.ZERO;
    }

    synchronized ExportVerdict verdictOn(List<ReceivedSpan> spans) {
        if (refusalsLeft > 0) {
            refusalsLeft--;
            return refusal;
        }
        for (ReceivedSpan span : spans) {
            if (rejected.test(span.span())) {
                // like a collector validating a batch: one bad span fails the request, so nothing in it is kept
                return ExportVerdict.refused(400, "span " + span.spanIdHex() + " (" + span.name() + ") is rejected");
            }
        }
        long drops = spans.stream().filter(span -> dropped.test(span.span())).count();
        // like a collector whose processor drops what it cannot take: the rest is kept, the answer says how many went
        return drops == 0 ? ExportVerdict.ACCEPTED
                : ExportVerdict.partlyAccepted((int) drops, drops + " spans dropped by the test receiver's filter");
    }
}
