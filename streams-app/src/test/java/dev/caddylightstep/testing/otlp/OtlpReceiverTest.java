package dev.caddylightstep.testing.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class OtlpReceiverTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String TOKEN = "lightstep-access-token";
    private static final Resource CADDY = Resource.getDefault().merge(Resource.builder()
            .put("service.name", "caddy")
            .put("host.name", "edge-1")
            .build());

    private final List<SpanExporter> exporters = new ArrayList<>();

    @AfterEach
    void shutDownExporters() {
        exporters.forEach(SpanExporter::shutdown);
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void exportedSpansAreDecodedWithTheirResource(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            List<SpanData> sent = requestSpans("GET /api/orders/{id}", "POST /api/orders", "GET /healthz");

            assertThat(export(exporter(receiver, "token-1", "none"), sent).isSuccess()).isTrue();

            List<ReceivedSpan> received = receiver.awaitSpans(3, WAIT);
            assertThat(received).extracting(ReceivedSpan::spanIdHex).containsExactlyElementsOf(
                    sent.stream().map(SpanData::getSpanId).toList());
            assertThat(received).extracting(ReceivedSpan::traceIdHex).containsExactlyElementsOf(
                    sent.stream().map(SpanData::getTraceId).toList());
            assertThat(received).extracting(ReceivedSpan::name)
                    .containsExactly("GET /api/orders/{id}", "POST /api/orders", "GET /healthz");
            assertThat(received).allSatisfy(span -> {
                assertThat(span.resourceAttribute("service.name")).hasValueSatisfying(
                        value -> assertThat(value.getStringValue()).isEqualTo("caddy"));
                assertThat(span.attribute("http.response.status_code")).hasValueSatisfying(
                        value -> assertThat(value.getIntValue()).isEqualTo(200));
                assertThat(span.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void gzipCompressedExportsAreDecoded(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            List<SpanData> sent = requestSpans("GET /api/orders/{id}");

            assertThat(export(exporter(receiver, "token-1", "gzip"), sent).isSuccess()).isTrue();

            assertThat(receiver.spanIdsHex()).containsExactly(sent.get(0).getSpanId());
            String encodingHeader = transport == OtlpTransport.GRPC ? "grpc-encoding" : "content-encoding";
            assertThat(receiver.requestHeaders().get(0).first(encodingHeader)).contains("gzip");
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aReceiverKeepingNoSpansCountsTheSpansItAccepted(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).keepingNoSpans().start()) {
            SpanExporter exporter = exporter(receiver, "token-1", "none");

            assertThat(export(exporter, requestSpans("GET /api/orders/{id}", "POST /api/orders")).isSuccess()).isTrue();
            assertThat(export(exporter, requestSpans("GET /healthz")).isSuccess()).isTrue();

            assertThat(receiver.acceptedSpans()).isEqualTo(3);
            assertThat(receiver.requests()).extracting(ReceivedRequest::spanCount).containsExactly(2, 1);
            assertThat(receiver.spans()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void refusedRequestsAreNotRecorded(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            SpanExporter exporter = exporter(receiver, "token-1", "none");
            receiver.refuseNext(1, 503);

            CompletableResultCode refused = export(exporter, requestSpans("GET /refused"));
            List<SpanData> retried = requestSpans("GET /accepted");
            CompletableResultCode accepted = export(exporter, retried);

            assertThat(refused.isSuccess()).isFalse();
            assertThat(accepted.isSuccess()).isTrue();
            assertThat(receiver.spanIdsHex()).containsExactly(retried.get(0).getSpanId());
            assertThat(receiver.refusedRequests()).isEqualTo(1);
            assertThat(receiver.acceptedRequests()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void headersOfEachRequestAreKept(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            export(exporter(receiver, "token-of-project-a", "none"), requestSpans("GET /a"));
            export(exporter(receiver, "token-of-project-b", "none"), requestSpans("GET /b"));

            assertThat(receiver.requestHeaders())
                    .extracting(headers -> headers.first(TOKEN).orElse("missing"))
                    .containsExactly("token-of-project-a", "token-of-project-b");
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void drainingAnswersTheRequestsAlreadyTaken(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            SpanExporter exporter = exporter(receiver, "token-1", "none");
            receiver.delaySpansMatching(span -> span.getName().equals("GET /slow"), Duration.ofSeconds(1));

            CompletableResultCode slow = exporter.export(requestSpans("GET /slow"));
            Thread.sleep(300);
            receiver.drainAndStop();

            assertThat(slow.join(WAIT.toMillis(), TimeUnit.MILLISECONDS).isSuccess()).isTrue();
            assertThat(receiver.isRunning()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void stoppedReceiverComesBackOnTheSamePort(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            SpanExporter exporter = exporter(receiver, "token-1", "none");
            int port = receiver.port();

            receiver.stop();
            CompletableResultCode whileDown = export(exporter, requestSpans("GET /while-down"));
            receiver.start();
            List<SpanData> afterRestart = requestSpans("GET /after-restart");
            CompletableResultCode whileUp = export(exporter, afterRestart);

            assertThat(whileDown.isSuccess()).isFalse();
            assertThat(whileUp.isSuccess()).isTrue();
            assertThat(receiver.port()).isEqualTo(port);
            assertThat(receiver.spanIdsHex()).containsExactly(afterRestart.get(0).getSpanId());
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aBatchWithARejectedSpanIsRefusedWhole(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.rejectSpansNamed("GET /poison");

            CompletableResultCode result = export(exporter(receiver, "token-1", "none"),
                    requestSpans("GET /a", "GET /poison", "GET /b"));

            assertThat(result.isSuccess()).isFalse();
            assertThat(receiver.spans()).isEmpty();
            assertThat(receiver.requests()).singleElement().satisfies(request -> {
                assertThat(request.spanCount()).isEqualTo(3);
                assertThat(request.verdict().httpStatus()).isEqualTo(400);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aBatchWithoutTheRejectedSpanGetsThrough(OtlpTransport transport) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.rejectSpansNamed("GET /poison");
            List<SpanData> rest = requestSpans("GET /a", "GET /b");

            assertThat(export(exporter(receiver, "token-1", "none"), rest).isSuccess()).isTrue();

            assertThat(receiver.spanIdsHex()).containsExactlyElementsOf(rest.stream().map(SpanData::getSpanId).toList());
        }
    }

    @ParameterizedTest
    @CsvSource({"503, UNAVAILABLE", "502, UNAVAILABLE", "429, RESOURCE_EXHAUSTED", "400, INVALID_ARGUMENT",
                "504, DEADLINE_EXCEEDED"})
    void grpcRefusalsCarryTheEquivalentStatusCode(int httpStatus, Status.Code expected) {
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.GRPC).start()) {
            receiver.refuseNext(1, httpStatus);
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", receiver.port()).usePlaintext().build();
            try {
                TraceServiceGrpc.TraceServiceBlockingStub traces = TraceServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);

                assertThatThrownBy(() -> traces.export(oneSpanRequest()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(expected));
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {429, 502, 503, 504})
    void httpRefusalsAnswerTheRequestedStatusWithAnRpcStatusBody(int httpStatus) throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            receiver.refuseNext(1, httpStatus);

            HttpResponse<byte[]> response = post(receiver, "application/x-protobuf", oneSpanRequest().toByteArray());

            assertThat(response.statusCode()).isEqualTo(httpStatus);
            assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).isNotEmpty();
        }
    }

    @Test
    void grpcRequestsLargerThanTheLimitAreRefusedAsResourceExhausted() {
        ExportTraceServiceRequest request = oneSpanRequest();
        int limit = request.getSerializedSize() - 1;
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.GRPC).limitMessageSize(limit).start()) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", receiver.port()).usePlaintext().build();
            try {
                TraceServiceGrpc.TraceServiceBlockingStub traces = TraceServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);

                assertThatThrownBy(() -> traces.export(request))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                            assertThat(e.getStatus().getDescription()).contains("exceeds maximum size " + limit);
                        });
                assertThat(receiver.requests()).isEmpty();
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Test
    void httpRequestsLargerThanTheLimitAreRefusedWith413() throws Exception {
        ExportTraceServiceRequest request = oneSpanRequest();
        int limit = request.getSerializedSize() - 1;
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).limitMessageSize(limit).start()) {
            HttpResponse<byte[]> response = post(receiver, "application/x-protobuf", request.toByteArray());

            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).contains("larger than " + limit + " bytes");
            assertThat(receiver.requests()).isEmpty();
        }
    }

    @Test
    void aGrpcRequestOfExactlyTheLimitIsAccepted() {
        ExportTraceServiceRequest request = oneSpanRequest();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.GRPC).limitMessageSize(request.getSerializedSize()).start()) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", receiver.port()).usePlaintext().build();
            try {
                TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS).export(request);

                assertThat(receiver.acceptedRequests()).isEqualTo(1);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Test
    void anHttpRequestOfExactlyTheLimitIsAccepted() throws Exception {
        ExportTraceServiceRequest request = oneSpanRequest();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).limitMessageSize(request.getSerializedSize()).start()) {
            HttpResponse<byte[]> response = post(receiver, "application/x-protobuf", request.toByteArray());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(receiver.acceptedRequests()).isEqualTo(1);
        }
    }

    @Test
    void refusalsAreUsedUpInOrder() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            receiver.refuseNext(2, 429);
            byte[] body = oneSpanRequest().toByteArray();

            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                statuses.add(post(receiver, "application/x-protobuf", body).statusCode());
            }

            assertThat(statuses).containsExactly(429, 429, 200);
        }
    }

    @Test
    void jsonBodiesAreRefusedAsUnsupportedAndNotCounted() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            HttpResponse<byte[]> response = post(receiver, "application/json", "{\"resourceSpans\":[]}".getBytes());

            assertThat(response.statusCode()).isEqualTo(415);
            assertThat(receiver.requests()).isEmpty();
        }
    }

    @Test
    void endpointsNameTheLoopbackPortAndTheSignalPath() {
        try (OtlpReceiver http = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
             OtlpReceiver grpc = new OtlpReceiver(OtlpTransport.GRPC).start()) {
            assertThat(http.endpoint()).isEqualTo("http://127.0.0.1:" + http.port() + "/v1/traces");
            assertThat(http.baseEndpoint()).isEqualTo("http://127.0.0.1:" + http.port());
            assertThat(grpc.endpoint()).isEqualTo("http://127.0.0.1:" + grpc.port());
        }
    }

    @Test
    void awaitingMoreSpansThanArriveFails() {
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            assertThatThrownBy(() -> receiver.awaitSpans(1, Duration.ofMillis(50)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("received 0");
        }
    }

    private SpanExporter exporter(OtlpReceiver receiver, String accessToken, String compression) {
        SpanExporter exporter = switch (receiver.transport()) {
            case HTTP_PROTOBUF -> OtlpHttpSpanExporter.builder()
                    .setEndpoint(receiver.endpoint())
                    .addHeader(TOKEN, accessToken)
                    .setCompression(compression)
                    .setTimeout(WAIT)
                    .setRetryPolicy(null)
                    .build();
            case GRPC -> OtlpGrpcSpanExporter.builder()
                    .setEndpoint(receiver.endpoint())
                    .addHeader(TOKEN, accessToken)
                    .setCompression(compression)
                    .setTimeout(WAIT)
                    .setRetryPolicy(null)
                    .build();
        };
        exporters.add(exporter);
        return exporter;
    }

    private static CompletableResultCode export(SpanExporter exporter, List<SpanData> spans) {
        return exporter.export(spans).join(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Ended SDK spans shaped like the server spans the app makes from Caddy access logs, one per name. */
    private static List<SpanData> requestSpans(String... names) {
        EndedSpans ended = new EndedSpans();
        try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(CADDY).addSpanProcessor(ended).build()) {
            Tracer tracer = provider.get("dev.caddylightstep.span");
            for (String name : names) {
                tracer.spanBuilder(name)
                        .setSpanKind(SpanKind.SERVER)
                        .setAttribute("http.request.method", name.substring(0, name.indexOf(' ')))
                        .setAttribute("http.response.status_code", 200L)
                        .startSpan()
                        .end();
            }
        }
        return ended.spans;
    }

    /** A request built by hand, without the SDK, for clients that speak OTLP directly. */
    private static ExportTraceServiceRequest oneSpanRequest() {
        Span span = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(HexFormat.of().parseHex("4bf92f3577b34da6a3ce929d0e0e4736")))
                .setSpanId(ByteString.copyFrom(HexFormat.of().parseHex("00f067aa0ba902b7")))
                .setName("GET /healthz")
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .build();
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
                .build();
    }

    private static HttpResponse<byte[]> post(OtlpReceiver receiver, String contentType, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(receiver.endpoint()))
                .timeout(WAIT)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Collects ended spans as exportable data, which is what the opentelemetry-sdk-testing exporter would do. */
    private static final class EndedSpans implements SpanProcessor {
        private final List<SpanData> spans = new ArrayList<>();

        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
            spans.add(span.toSpanData());
        }

        @Override
        public boolean isEndRequired() {
            return true;
        }
    }
}
