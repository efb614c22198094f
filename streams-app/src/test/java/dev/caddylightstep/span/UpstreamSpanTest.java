package dev.caddylightstep.span;

import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static dev.caddylightstep.testing.capture.CaddyCapture.first;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.capture.CaddyCapture.withField;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.caddylightstep.testing.PipelineHarness;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.SpanFlags;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CLIENT span of Caddy's upstream call and the stage attributes, on lines Caddy 2.6.2 wrote with
 * connectors/caddy/stages.Caddyfile (test resources caddy-2.6.2/stages.log).
 */
class UpstreamSpanTest {
    private static final String PROXIED = first("stages.log", request("GET", "/api/orders?db=20&cache=5", 200));
    private static final String FAILED = first("stages.log", request("GET", "/api/orders?db=5&cache=2&status=500", 500));
    private static final String NOT_FOUND = first("stages.log", request("GET", "/api/orders?db=1&cache=1&status=404", 404));
    private static final String HEALTH = first("stages.log", request("GET", "/health", 200));

    private static String hex(com.google.protobuf.ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static Span kind(List<Span> spans, Span.SpanKind kind) {
        return spans.stream().filter(s -> s.getKind() == kind).findFirst().orElseThrow();
    }

    @Test
    void aTimedUpstreamCallIsAClientChildThatEndsWithTheRequest() {
        try (PipelineHarness p = PipelineHarness.start()) {
            List<Span> spans = p.send(PROXIED).spans();
            assertThat(spans).hasSize(2);
            assertThat(p.spanRecords()).as("both spans in the request's one record").hasSize(1);
            Span server = kind(spans, Span.SpanKind.SPAN_KIND_SERVER);
            Span client = kind(spans, Span.SpanKind.SPAN_KIND_CLIENT);

            assertThat(client.getName()).isEqualTo("GET");
            assertThat(hex(client.getTraceId())).isEqualTo(hex(server.getTraceId()));
            assertThat(hex(client.getParentSpanId())).isEqualTo(hex(server.getSpanId()));
            assertThat(hex(client.getSpanId())).isNotEqualTo(hex(server.getSpanId()));
            assertThat(client.getEndTimeUnixNano()).isEqualTo(server.getEndTimeUnixNano());
            assertThat(client.getEndTimeUnixNano() - client.getStartTimeUnixNano()).isEqualTo(26_525_859L);
            assertThat(client.getFlags() & SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK_VALUE).as("its parent is local").isZero();
            assertThat(attributes(client)).containsEntry("http.request.method", "GET").containsEntry("http.response.status_code", 200L)
                    .containsEntry("edge.upstream.timing", "ttfb")
                    .containsEntry("edge.server_timing.db", 20.0).containsEntry("edge.server_timing.cache", 5.0)
                    .doesNotContainKey("edge.server_timing.caddy-upstream").doesNotContainKey("server.address");
        }
    }

    @Test
    void theServerSpanSaysHowLongTheEdgeAndTheUpstreamTook() {
        try (PipelineHarness p = PipelineHarness.start()) {
            Span server = kind(p.send(PROXIED).spans(), Span.SpanKind.SPAN_KIND_SERVER);
            Map<String, Object> attributes = attributes(server);
            double total = (server.getEndTimeUnixNano() - server.getStartTimeUnixNano()) / 1e6;

            assertThat((Double) attributes.get("edge.stage.upstream_ms")).isEqualTo(26.525859);
            assertThat((Double) attributes.get("edge.stage.edge_ms")).isCloseTo(total - 26.525859, offset(1e-6)).isPositive();
            assertThat(attributes).doesNotContainKey("edge.server_timing.db");
        }
    }

    @Test
    void logAppendsUpstreamAddressAndDurationNameTheServerAndTheMeasure() {
        String line = withField(withField(PROXIED, "upstream_duration_ms", 26.6), "upstream_addr", "10.0.4.7:8443");
        try (PipelineHarness p = PipelineHarness.start()) {
            Span client = kind(p.send(line).spans(), Span.SpanKind.SPAN_KIND_CLIENT);

            assertThat(attributes(client)).containsEntry("server.address", "10.0.4.7").containsEntry("server.port", 8443L)
                    .containsEntry("edge.upstream.timing", "duration");
            assertThat(client.getEndTimeUnixNano() - client.getStartTimeUnixNano()).isEqualTo(26_600_000L);
        }
    }

    @Test
    void fiveHundredsAreErrorsWithTheirTypeOnBothSpans() {
        try (PipelineHarness p = PipelineHarness.start()) {
            List<Span> spans = p.send(FAILED).spans();
            for (Span span : spans) {
                assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
                assertThat(attributes(span)).containsEntry("error.type", "500");
            }
        }
    }

    @Test
    void aFourHundredIsAnErrorOfTheClientSpanOnly() {
        try (PipelineHarness p = PipelineHarness.start()) {
            List<Span> spans = p.send(NOT_FOUND).spans();
            assertThat(kind(spans, Span.SpanKind.SPAN_KIND_SERVER).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
            assertThat(attributes(kind(spans, Span.SpanKind.SPAN_KIND_SERVER))).doesNotContainKey("error.type");
            assertThat(kind(spans, Span.SpanKind.SPAN_KIND_CLIENT).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
            assertThat(attributes(kind(spans, Span.SpanKind.SPAN_KIND_CLIENT))).containsEntry("error.type", "404");
        }
    }

    @Test
    void aRequestCaddyAnsweredItselfIsOneSpanWithoutStages() {
        try (PipelineHarness p = PipelineHarness.start()) {
            Span only = p.send(HEALTH).onlySpan();
            assertThat(attributes(only)).doesNotContainKeys("edge.stage.edge_ms", "edge.stage.upstream_ms");
        }
    }

    @Test
    void theUpstreamSpanIdIsTheSameOnReplay() {
        try (PipelineHarness first = PipelineHarness.start(); PipelineHarness replay = PipelineHarness.start()) {
            Span a = kind(first.send(PROXIED).spans(), Span.SpanKind.SPAN_KIND_CLIENT);
            Span b = kind(replay.send(PROXIED).spans(), Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(hex(a.getSpanId())).isEqualTo(hex(b.getSpanId()));
        }
    }

    @Test
    void serverTimingNamesPastTheCapAreLeftOffTheSpan() {
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.stage.max-server-timings", "1"))) {
            Span client = kind(p.send(PROXIED).spans(), Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(attributes(client)).containsKey("edge.server_timing.db").doesNotContainKey("edge.server_timing.cache");
        }
    }

    @Test
    void skippedServerTimingEntriesAreCountedOnTheSpan() {
        String line = first("stages.log", l -> l.path("request").path("uri").asText().contains("extra=render"));
        try (PipelineHarness p = PipelineHarness.start()) {
            Span client = kind(p.send(line).spans(), Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(attributes(client)).containsEntry("edge.server_timing.render", 4.5).containsEntry("edge.server_timing.skipped", 1L);
        }
    }
}
