package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A local OTLP trace and metrics endpoint for tests: it decodes real OTLP exports over HTTP or gRPC, keeps the spans,
 * metrics and headers of every request it accepted, and refuses, rejects, delays or goes down when a test asks it to.
 *
 * <pre>{@code
 * try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.GRPC).start()) {
 *     exporterUnderTest(receiver.endpoint());
 *     receiver.awaitSpans(3, Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * Requests that are not OTLP trace or metrics exports (another path or method, a non-protobuf media type, a body that
 * does not decode) are answered with a 4xx and counted nowhere. Thread-safe.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** grpc-java's default inbound limit, which is also the Collector's gRPC receiver's. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    private static final String HOST = "127.0.0.1";

    private final OtlpTransport transport;
    private final FaultPlan faults = new FaultPlan();
    private final ReceivedExports received = new ReceivedExports();
    private int port;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private volatile boolean keepSpans = true;
    private OtlpListener listener;

    /** A receiver that will listen on a free port, chosen when it first starts and kept across restarts. */
    public OtlpReceiver(OtlpTransport transport) {
        this(transport, 0);
    }

    /** A receiver that will listen on {@code port}, or on a free one when {@code port} is 0. */
    public OtlpReceiver(OtlpTransport transport, int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, was " + port);
        }
        this.transport = Objects.requireNonNull(transport, "transport");
        this.port = port;
    }

    /**
     * Refuses export requests larger than {@code bytes} (decompressed), as a collector does: over gRPC with
     * RESOURCE_EXHAUSTED and grpc-java's own "exceeds maximum size" description, over HTTP with 413. Such a
     * request is counted nowhere, since it is refused before it is decoded. Applies from the next start;
     * {@link #DEFAULT_MAX_MESSAGE_BYTES} on both wires unless set.
     */
    public synchronized OtlpReceiver limitMessageSize(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes must be 1 or more, was " + bytes);
        }
        maxMessageBytes = bytes;
        return this;
    }

    /**
     * Decodes every request as before but keeps only how many spans it accepted, not the spans: for a benchmark,
     * where holding hundreds of thousands of decoded spans would make the collector's work the receiver's and not the
     * sender's. Faults and {@link #spans()} do not apply then; {@link #acceptedSpans()} and the requests do.
     */
    public OtlpReceiver keepingNoSpans() {
        keepSpans = false;
        return this;
    }

    /**
     * Listens on 127.0.0.1, on the same port as before after a {@link #stop()}. Does nothing when already
     * listening. Another process may take the port while the receiver is down; then this throws.
     */
    public synchronized OtlpReceiver start() {
        if (listener != null) {
            return this;
        }
        try {
            listener = transport.listen(new InetSocketAddress(loopback(), port), maxMessageBytes, this::receive, this::receiveMetrics);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + HOST + ":" + port + " for OTLP " + transport, e);
        }
        port = listener.port();
        return this;
    }

    /**
     * Closes the port and drops open connections, as a collector that crashed would; what was received is kept. A
     * request it was answering may have been counted while its client never got the answer: a lost acknowledgement.
     */
    public synchronized void stop() {
        if (listener == null) {
            return;
        }
        listener.stop();
        listener = null;
    }

    /** Closes the port after answering the requests it has taken, as a collector shut down cleanly does. */
    public synchronized void drainAndStop() {
        if (listener == null) {
            return;
        }
        listener.drain(java.time.Duration.ofSeconds(5));
        listener = null;
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return listener != null;
    }

    public OtlpTransport transport() {
        return transport;
    }

    public synchronized int port() {
        if (port == 0) {
            throw new IllegalStateException("the receiver has not started yet, so it has no port");
        }
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, the base a client appends the signal path to. */
    public String baseEndpoint() {
        return "http://" + HOST + ":" + port();
    }

    /**
     * What {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} would be set to: with {@code /v1/traces} for
     * OTLP/HTTP, the bare base endpoint for gRPC.
     */
    public String endpoint() {
        return baseEndpoint() + transport.tracesPath();
    }

    /** What {@code OTEL_EXPORTER_OTLP_METRICS_ENDPOINT} would be set to: with {@code /v1/metrics} for OTLP/HTTP. */
    public String metricsEndpoint() {
        return baseEndpoint() + transport.metricsPath();
    }

    /**
     * Answers the next {@code requests} metrics export requests with {@code httpStatus} (gRPC: the equivalent code) and
     * keeps none of them; trace exports are not affected, nor do {@link #refuseNext} refusals apply to metrics.
     */
    public void refuseNextMetrics(int requests, int httpStatus) {
        faults.refuseNextMetrics(requests, httpStatus);
    }

    /** The metrics export requests accepted, in the order they arrived. */
    public List<ExportMetricsServiceRequest> metrics() {
        return received.metrics();
    }

    /** Every metrics export request, accepted or refused, in the order they arrived. */
    public List<ReceivedRequest> metricRequests() {
        return received.metricRequests();
    }

    /**
     * Waits until the metrics accepted so far satisfy {@code done}, and returns them.
     *
     * @throws AssertionError when they do not within {@code timeout}
     */
    public List<ExportMetricsServiceRequest> awaitMetrics(Predicate<List<ExportMetricsServiceRequest>> done, Duration timeout)
            throws InterruptedException {
        return received.awaitMetrics(done, timeout);
    }

    /**
     * Answers the next {@code requests} export requests with {@code httpStatus} (gRPC: the equivalent code,
     * e.g. 503 is UNAVAILABLE, 429 RESOURCE_EXHAUSTED, 504 DEADLINE_EXCEEDED) and keeps none of their spans.
     * Replaces any refusals still pending; {@code refuseNext(0, 503)} cancels them.
     */
    public void refuseNext(int requests, int httpStatus) {
        faults.refuseNext(requests, httpStatus);
    }

    /**
     * Answers 400 (gRPC: INVALID_ARGUMENT) to every request holding a span that matches, so a client has to
     * leave that span out to get the rest of its batch through. Replaces the previous predicate.
     */
    public void rejectSpansMatching(Predicate<Span> predicate) {
        faults.rejectSpansMatching(predicate);
    }

    public void rejectSpansNamed(String name) {
        rejectSpansMatching(span -> span.getName().equals(name));
    }

    /**
     * Keeps every span but those that match, and answers a request that held any with OTLP's partial success (HTTP 200,
     * gRPC OK) counting them as rejected, as a collector dropping spans does. Replaces the previous predicate.
     */
    public void dropSpansMatching(Predicate<Span> predicate) {
        faults.dropSpansMatching(predicate);
    }

    /**
     * Answers every request holding a span that matches only after {@code delay}, as a slow backend would, while
     * other requests are answered at once. Replaces the previous predicate; {@code Duration.ZERO} cancels it.
     */
    public void delaySpansMatching(Predicate<Span> predicate, Duration delay) {
        faults.delaySpansMatching(predicate, delay);
    }

    /** The spans of every accepted request, in the order they arrived. */
    public List<ReceivedSpan> spans() {
        return received.spans();
    }

    public List<String> spanIdsHex() {
        return spans().stream().map(ReceivedSpan::spanIdHex).toList();
    }

    /** Every export request that reached the trace service, accepted or refused, in the order they arrived. */
    public List<ReceivedRequest> requests() {
        return received.requests();
    }

    /** The headers of every export request, accepted or refused, so a retry's credentials can be checked too. */
    public List<RequestHeaders> requestHeaders() {
        return requests().stream().map(ReceivedRequest::headers).toList();
    }

    public int acceptedRequests() {
        return received.count(true);
    }

    public int refusedRequests() {
        return received.count(false);
    }

    /**
     * Waits until at least {@code count} spans were accepted and returns all accepted so far.
     *
     * @throws AssertionError when fewer arrived within {@code timeout}, saying how many did
     */
    public List<ReceivedSpan> awaitSpans(int count, Duration timeout) throws InterruptedException {
        return received.awaitSpans(count, timeout);
    }

    /** Spans in the requests accepted so far, kept or not. */
    public long acceptedSpans() {
        return received.acceptedSpans();
    }

    private ExportVerdict receive(ExportTraceServiceRequest request, RequestHeaders headers) {
        if (!keepSpans) {
            int count = 0;
            for (var resourceSpans : request.getResourceSpansList()) {
                for (var scopeSpans : resourceSpans.getScopeSpansList()) {
                    count += scopeSpans.getSpansCount();
                }
            }
            received.count(headers, count);
            return ExportVerdict.ACCEPTED;
        }
        List<ReceivedSpan> spans = ReceivedSpan.allOf(request);
        Duration delay = faults.delayOf(spans);
        if (!delay.isZero()) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ExportVerdict verdict = faults.verdictOn(spans);
        received.record(headers, spans.size(), verdict.dropped() == 0 ? spans : spans.stream().filter(s -> !faults.drops(s.span())).toList(),
                verdict);
        return verdict;
    }

    private ExportVerdict receiveMetrics(ExportMetricsServiceRequest request, RequestHeaders headers) {
        ExportVerdict verdict = faults.verdictOnMetrics();
        received.recordMetrics(headers, request, verdict);
        return verdict;
    }

    private static InetAddress loopback() throws UnknownHostException {
        // not InetAddress.getLoopbackAddress(): that is ::1 when IPv6 is preferred, and clients are given 127.0.0.1
        return InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1});
    }
}
