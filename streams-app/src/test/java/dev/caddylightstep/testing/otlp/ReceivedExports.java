package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** What the receiver has been sent so far; transports write from their own threads while a test reads. */
final class ReceivedExports {
    private final List<ReceivedRequest> requests = new ArrayList<>();
    private final List<ReceivedSpan> spans = new ArrayList<>();
    private long acceptedSpans;
    private final List<ExportMetricsServiceRequest> metrics = new ArrayList<>();
    private final List<ReceivedRequest> metricRequests = new ArrayList<>();

    synchronized void recordMetrics(RequestHeaders headers, ExportMetricsServiceRequest request, ExportVerdict verdict) {
        metricRequests.add(new ReceivedRequest(headers, 0, verdict));
        if (verdict.accepted()) {
            metrics.add(request);
            notifyAll();
        }
    }

    synchronized List<ExportMetricsServiceRequest> metrics() {
        return List.copyOf(metrics);
    }

    synchronized List<ReceivedRequest> metricRequests() {
        return List.copyOf(metricRequests);
    }

    synchronized List<ExportMetricsServiceRequest> awaitMetrics(Predicate<List<ExportMetricsServiceRequest>> done, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(List.copyOf(metrics))) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the metrics received within " + timeout + " (" + metrics.size() + " accepted requests of "
                        + metricRequests.size() + ") are not what was awaited");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return List.copyOf(metrics);
    }

    /** A request that carried {@code carried} spans, of which those {@code kept} when it was accepted. */
    synchronized void record(RequestHeaders headers, int carried, List<ReceivedSpan> kept, ExportVerdict verdict) {
        requests.add(new ReceivedRequest(headers, carried, verdict));
        if (verdict.accepted()) {
            spans.addAll(kept);
            acceptedSpans += kept.size();
            notifyAll();
        }
    }

    /** An accepted request whose spans are counted and not kept. */
    synchronized void count(RequestHeaders headers, int spanCount) {
        requests.add(new ReceivedRequest(headers, spanCount, ExportVerdict.ACCEPTED));
        acceptedSpans += spanCount;
        notifyAll();
    }

    synchronized long acceptedSpans() {
        return acceptedSpans;
    }

    synchronized List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    synchronized List<ReceivedRequest> requests() {
        return List.copyOf(requests);
    }

    synchronized int count(boolean accepted) {
        return (int) requests.stream().filter(request -> request.accepted() == accepted).count();
    }

    synchronized List<ReceivedSpan> awaitSpans(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (spans.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected at least " + count + " spans within " + timeout
                        + " but received " + spans.size() + " in " + requests.size() + " requests");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return List.copyOf(spans);
    }
}
