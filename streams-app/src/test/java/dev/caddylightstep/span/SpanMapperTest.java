package dev.caddylightstep.span;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.EnrichedRequest;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The span of a request: OpenTelemetry HTTP server conventions plus the edge.* attributes. */
class SpanMapperTest {
    private static final String ALICE_ORDERS = access(request("GET", "/api/orders/1001/items", 200));

    private static String hex(com.google.protobuf.ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    @Test
    void aRequestIsAServerSpanNamedByMethodAndRoute() {
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(ALICE_ORDERS).onlySpan();
            assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            assertThat(span.getName()).isEqualTo("GET /api/orders/{id}/items");
            assertThat(attributes(span)).containsEntry("http.route", "/api/orders/{id}/items").containsEntry("url.path", "/api/orders/1001/items");
        }
    }

    @Test
    void serverAndProtocolAttributesFollowTheConventions() {
        String h2 = access(l -> l.path("request").path("proto").asText().equals("HTTP/2.0") && l.path("status").asInt() == 200);
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(h2).onlySpan()))
                    .containsEntry("url.scheme", "https").containsEntry("server.address", "localhost").containsEntry("server.port", 18444L)
                    .containsEntry("network.protocol.name", "http").containsEntry("network.protocol.version", "2")
                    .containsEntry("tls.protocol.version", "1.3").containsEntry("user_agent.original", "curl/7.88.1")
                    .containsEntry("client.address", "127.0.0.1");
        }
    }

    /** The client writes its Host: server.port is a port, 1 to 65535, or left out. */
    @Test
    void aHostsPortOutsideWhatAPortIsIsLeftOut() {
        String host = "\"host\":\"127.0.0.1:18081\"";
        assertThat(ALICE_ORDERS).contains(host);
        for (String port : List.of("99999", "+80", "-1", "0", "٨٠", "", "080800")) {
            try (PipelineHarness p = PipelineHarness.start()) {
                Map<String, Object> attributes = attributes(p.send(ALICE_ORDERS.replace(host, "\"host\":\"example.com:" + port + "\"")).onlySpan());
                assertThat(attributes).as(port).containsEntry("server.address", "example.com").doesNotContainKey("server.port");
            }
        }
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(ALICE_ORDERS.replace(host, "\"host\":\"[2001:db8::1]:65535\"")).onlySpan()))
                    .containsEntry("server.address", "2001:db8::1").containsEntry("server.port", 65535L);
        }
    }

    @Test
    void http11IsVersionOnePointOne() {
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(ALICE_ORDERS).onlySpan())).containsEntry("network.protocol.version", "1.1").containsEntry("url.scheme", "http");
        }
    }

    /** Caddy's protocols as network.protocol.version names them: no ".0" past HTTP/1, none for what is not HTTP. */
    @Test
    void theProtocolVersionDropsATrailingPointZeroPastHttpOne() {
        assertThat(SpanMapper.protocolVersion("HTTP/1.0")).isEqualTo("1.0");
        assertThat(SpanMapper.protocolVersion("HTTP/1.1")).isEqualTo("1.1");
        assertThat(SpanMapper.protocolVersion("HTTP/2.0")).isEqualTo("2");
        assertThat(SpanMapper.protocolVersion("HTTP/3.0")).isEqualTo("3");
        assertThat(SpanMapper.protocolVersion("HTTP/4.0")).isEqualTo("4");
        assertThat(SpanMapper.protocolVersion("HTTP/1.2")).isEqualTo("1.2");
        assertThat(SpanMapper.protocolVersion("SPDY/3")).isNull();
    }

    @Test
    void serverErrorsAreErrorSpans() {
        String bad = access(request("GET", "/broken/thing", 502));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(bad).onlySpan().getStatus().getCode()).isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
        }
    }

    @Test
    void clientErrorsAreNotErrorsOfAServerSpan() {
        String notFound = access(request("GET", "/static/missing-1.html", 404));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(notFound).onlySpan().getStatus().getCode()).isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_UNSET);
        }
    }

    @Test
    void idsDerivedFromTheLineAreTheSameOnReplay() {
        try (PipelineHarness first = PipelineHarness.start(); PipelineHarness replay = PipelineHarness.start()) {
            Span a = first.send(ALICE_ORDERS).onlySpan();
            Span b = replay.send(ALICE_ORDERS).onlySpan();
            assertThat(hex(a.getTraceId())).isEqualTo(hex(b.getTraceId())).hasSize(32).isNotEqualTo("0".repeat(32));
            assertThat(hex(a.getSpanId())).isEqualTo(hex(b.getSpanId())).hasSize(16);
            // both come from one hash of the line: the span id repeats neither half of the trace id
            assertThat(hex(a.getTraceId())).doesNotContain(hex(a.getSpanId()));
            assertThat(a.getParentSpanId().isEmpty()).isTrue();
        }
    }

    /**
     * A client chooses its User-Agent and Host, each up to the size of Caddy's request headers: a span of such a
     * request keeps neither once encoded. Values that repeat are kept encoded for the next span, 4,096 of each
     * attribute, and 4,096 values of a megabyte, String and encoding, would be 8 GB. (A route is a template of 256
     * characters at most.)
     */
    @Test
    void longValuesAClientChoseAreNotKeptFromOneSpanToTheNext() {
        SpanMapper mapper = new SpanMapper(Map.of("service.name", "caddy"), ClientAddressMasking.KEEP, CapturedHeaders.none(), StageSettings.DEFAULTS);
        List<WeakReference<String>> chosen = spanOfLongValues(mapper, 100_000);
        for (int i = 0; i < 10 && chosen.stream().anyMatch(value -> value.get() != null); i++) {
            System.gc();
        }
        assertThat(chosen).allSatisfy(value -> assertThat(value.get()).as("a value the client chose, still kept").isNull());
    }

    /** The request's User-Agent and Host, of {@code length} characters each, after its span is made. */
    private static List<WeakReference<String>> spanOfLongValues(SpanMapper mapper, int length) {
        ObjectNode line = (ObjectNode) CaddyCapture.tree(ALICE_ORDERS);
        ObjectNode request = (ObjectNode) line.get("request");
        ((ObjectNode) request.get("headers")).putArray("User-Agent").add("u".repeat(length));
        request.put("host", "h".repeat(length));
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());
        AccessEvent event = ((ParseOutcome.Parsed) parser.parse(CaddyCapture.write(line).getBytes(StandardCharsets.UTF_8))).event();
        EnrichedRequest enriched = new EnrichedRequest(event, Identity.anonymous(), new RouteTemplates(List.of()).templateOf(event.path()),
                PolicyVerdict.judge(null, event));
        assertThat(event.userAgent()).hasSize(length);
        assertThat(mapper.toRecord(enriched)).isNotEmpty();
        return List.of(new WeakReference<>(event.userAgent()), new WeakReference<>(event.host()));
    }

    @Test
    void differentLinesGetDifferentIds() {
        var lines = CaddyCapture.lines("access.log");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines);
            var traceIds = p.spans().stream().filter(s -> s.getParentSpanId().isEmpty()).map(s -> hex(s.getSpanId())).collect(Collectors.toList());
            assertThat(traceIds).doesNotHaveDuplicates();
        }
    }

    @Test
    void caddysOwnTracingMakesOurSpanTheChildOfCaddys() {
        // Caddy 2.9+ with the tracing directive logs the ids of the span it exported
        String line = CaddyCapture.withField(CaddyCapture.withField(ALICE_ORDERS, "traceID", "4bf92f3577b34da6a3ce929d0e0e4736"),
                "spanID", "00f067aa0ba902b7");
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(hex(span.getTraceId())).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(hex(span.getParentSpanId())).isEqualTo("00f067aa0ba902b7");
            assertThat(hex(span.getSpanId())).isNotEqualTo("00f067aa0ba902b7");
        }
    }

    @Test
    void anInvalidTraceparentStartsANewTrace() {
        String line = access(request("GET", "/api/traced/1", 200)).replace("00-000000000000000000004bf92f3577b4", "00-zz0000000000000000004bf92f3577b4");
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(span.getParentSpanId().isEmpty()).isTrue();
            assertThat(hex(span.getTraceId())).isNotEqualTo("000000000000000000004bf92f3577b4");
        }
    }

    @Test
    void credentialHeadersNeverReachASpan() {
        // the net-writer site ran with log_credentials: Caddy logged Cookie and Authorization values
        String line = CaddyCapture.first("netlog.ndjson", l -> l.path("request").path("headers").has("Cookie"));
        assertThat(line).contains("theme=dark").contains("\"Authorization\":[\"e794eacb\"]");
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.log.user-id-field", "user"))) {
            String span = p.send(line).onlySpan().toString();
            assertThat(span).doesNotContain("theme=dark").doesNotContain("e794eacb").doesNotContainIgnoringCase("authorization");
        }
    }

    @Test
    void capturedHeadersAreHeaderAttributesInLowerCaseWithEveryValue() {
        Map<String, String> settings = Map.of("caddy.span.capture-request-headers", "Accept",
                "caddy.span.capture-response-headers", "server,content-type");
        try (PipelineHarness p = PipelineHarness.start(settings)) {
            assertThat(attributes(p.send(ALICE_ORDERS).onlySpan()))
                    .containsEntry("http.request.header.accept", java.util.List.of("*/*"))
                    .containsEntry("http.response.header.server", java.util.List.of("Caddy", "BaseHTTP/0.6 Python/3.11.7"))
                    .containsEntry("http.response.header.content-type", java.util.List.of("application/json"));
        }
    }

    @Test
    void capturedHeadersFollowTheOrderOfTheirNamesOnEveryInstance() {
        Map<String, String> settings = Map.of("caddy.span.capture-response-headers", "server,date,content-type,content-length");
        try (PipelineHarness p = PipelineHarness.start(settings)) {
            assertThat(p.send(ALICE_ORDERS).onlySpan().getAttributesList()).map(KeyValue::getKey).filteredOn(key -> key.startsWith("http.response.header."))
                    .containsExactly("http.response.header.content-length", "http.response.header.content-type", "http.response.header.date",
                            "http.response.header.server");
        }
    }

    @Test
    void headersAreNotAttributesUnlessCaptured() {
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(ALICE_ORDERS).onlySpan()).keySet())
                    .noneMatch(key -> key.startsWith("http.request.header.") || key.startsWith("http.response.header."));
        }
    }

    @Test
    void configuredQueryParametersAreRedactedToo() {
        String line = access(l -> l.path("request").path("uri").asText().startsWith("/api/search?"));
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.redact.query-parameters", "q"))) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("url.query", "q=REDACTED&token=REDACTED&x=%22quoted%22&y='single'&z=a+b");
        }
    }

    @Test
    void clientAddressesCanBeTruncated() {
        String line = CaddyCapture.withRequestField(ALICE_ORDERS, "remote_ip", "203.0.113.77");
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.client-address", "truncate"))) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("client.address", "203.0.113.0");
        }
    }

    @Test
    void clientAddressesCanBeHashedWithASecretKey() {
        String line = CaddyCapture.withRequestField(ALICE_ORDERS, "remote_ip", "203.0.113.77");
        Map<String, String> settings = Map.of("caddy.client-address", "hash", "caddy.client-address.hash-key", "0123456789abcdef0123");
        try (PipelineHarness p = PipelineHarness.start(settings)) {
            Object hashed = attributes(p.send(line).onlySpan()).get("client.address");
            assertThat(hashed).asString().hasSize(32).doesNotContain("203.0.113");
            assertThat(hashed).isEqualTo(PipelineConfig.from(Settings.of(settings)).clientAddress().apply("203.0.113.77"));
        }
    }

    @Test
    void theResourceNamesTheServiceAndTheCaddyHost() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(ALICE_ORDERS);
            var resource = p.exportRequests().get(0).getResourceSpans(0).getResource();
            Map<String, String> attributes = resource.getAttributesList().stream()
                    .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
            assertThat(attributes).containsEntry("service.name", "caddy").containsEntry("caddy.host", "127.0.0.1")
                    .containsEntry("caddy.logger", "http.log.access.log0");
        }
    }

    @Test
    void unknownMethodsAreOtherWithTheOriginalKept() {
        String line = ALICE_ORDERS.replace("\"method\":\"GET\"", "\"method\":\"PURGE\"");
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("http.request.method", "_OTHER").containsEntry("http.request.method_original", "PURGE");
        }
    }
}
