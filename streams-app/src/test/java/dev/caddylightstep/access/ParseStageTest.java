package dev.caddylightstep.access;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** Stage parse, through the whole topology: real Caddy 2.6.2 lines in, spans and dead letters out. */
class ParseStageTest {

    private static long nanos(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void anAccessLineBecomesOneSpanEndingAtItsTimestamp() {
        String line = access(request("GET", "/health", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            // "ts":1795566966.1665242, "duration":0.000037721
            assertThat(span.getEndTimeUnixNano()).isEqualTo(1_795_566_966_166_524_200L);
            assertThat(span.getStartTimeUnixNano()).isEqualTo(1_795_566_966_166_524_200L - 37_721L);
            assertThat(attributes(span)).containsEntry("http.request.method", "GET").containsEntry("url.path", "/health")
                    .containsEntry("http.response.status_code", 200L).containsEntry("http.response.body.size", 2L);
        }
    }

    @Test
    void statusZeroIsReadAsTheEmpty200GoSent() {
        String line = access(request("GET", "/nothing/here", 0));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("http.response.status_code", 200L);
        }
    }

    @Test
    void errorLevelLinesAreRequestsToo() {
        String line = access(l -> l.path("level").asText().equals("error") && l.path("status").asInt() == 500);
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(span.getStatus().getCode().name()).isEqualTo("STATUS_CODE_ERROR");
            assertThat(p.deadLetters()).isEmpty();
        }
    }

    @Test
    void canonicalisedTraceparentHeaderContinuesTheCallersTrace() {
        String line = access(request("GET", "/api/traced/1", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            // "Traceparent":["00-000000000000000000004bf92f3577b4-000000f067aa0baa-01"]
            assertThat(hex(span.getTraceId().toByteArray())).isEqualTo("000000000000000000004bf92f3577b4");
            assertThat(hex(span.getParentSpanId().toByteArray())).isEqualTo("000000f067aa0baa");
            assertThat(span.getTraceState()).isEqualTo("rojo=00f067aa0ba902b7");
        }
    }

    /**
     * A caller may send a tracestate of any length, and each of the request's spans carries it: 40,000 members (about
     * 640 KB) exported as they came made a span record larger than most backends take. Trace Context's limits apply.
     */
    @Test
    void aCallersTracestateIsKeptWithinTraceContextsLimits() {
        String members = IntStream.range(0, 40_000).mapToObj(i -> String.format("vendor%05d=value", i)).collect(Collectors.joining(","));
        String line = access(request("GET", "/api/traced/1", 200)).replace("\"Tracestate\":[\"rojo=00f067aa0ba902b7\"]",
                "\"Tracestate\":[\"rojo=00f067aa0ba902b7," + members + "\"]");
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            // 512 characters hold the first member (21) and 27 of 17 more, each with its comma
            assertThat(span.getTraceState()).isEqualTo("rojo=00f067aa0ba902b7," + members.substring(0, 27 * 18 - 1));
            assertThat(p.deadLetters()).isEmpty();
        }
    }

    @Test
    void authorizationLoggedAsAnEmptyListIsDropped() {
        String line = access(request("GET", "/api/users/1", 200));
        assertThat(line).contains("\"Authorization\":[]");
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(line).onlySpan().toString()).doesNotContainIgnoringCase("authorization");
        }
    }

    @Test
    void failedBasicAuthHasNoIdentity() {
        String wrongPassword = CaddyCapture.access(l -> request("GET", "/api/users/1", 401).test(l)
                && l.path("request").path("headers").has("Authorization"));
        try (PipelineHarness p = PipelineHarness.start()) {
            Map<String, Object> attributes = attributes(p.send(wrongPassword).onlySpan());
            assertThat(attributes).containsEntry("edge.group", "anonymous").doesNotContainKey("enduser.id");
        }
    }

    @Test
    void filterEncoderLinesWithRfc3339NanoTimesNanoDurationsAndRenamedUserAreRead() {
        String line = CaddyCapture.lines("netlog.ndjson").get(2);
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.log.user-id-field", "user"))) {
            Span span = p.send(line).onlySpan();
            // "ts":"2026-11-25T00:36:35.389139016Z", "duration":1567298
            assertThat(span.getEndTimeUnixNano()).isEqualTo(nanos("2026-11-25T00:36:35.389139016Z"));
            assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(1_567_298L);
            assertThat(attributes(span)).containsEntry("url.query", "keep=1&token=REDACTED").containsEntry("client.address", "127.0.0.0");
        }
    }

    @Test
    void renamedUserIdFieldIsReadFromItsConfiguredName() {
        // the filter encoder's "user_id rename user", applied to a real line
        String line = access(request("GET", "/api/users/1", 200)).replace("\"user_id\":\"alice\"", "\"user\":\"alice\"");
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.log.user-id-field", "user"))) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("enduser.id", "alice");
        }
    }

    @Test
    void unixMilliFloatTimestampsAreRead() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "ts", new java.math.BigDecimal("1795566966166.5242"));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(line).onlySpan().getEndTimeUnixNano()).isEqualTo(1_795_566_966_166_524_200L);
        }
    }

    @Test
    void unixNanoTimestampsAreRead() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "ts", 1_795_566_966_166_524_242L);
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(line).onlySpan().getEndTimeUnixNano()).isEqualTo(1_795_566_966_166_524_242L);
        }
    }

    @Test
    void iso8601TimestampsWithAColonlessOffsetAreRead() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "ts", "2026-11-25T01:36:06.166+0100");
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(line).onlySpan().getEndTimeUnixNano()).isEqualTo(nanos("2026-11-25T00:36:06.166Z"));
        }
    }

    @Test
    void rfc3339TimestampsWithoutFractionAreRead() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "ts", "2026-11-25T00:36:06Z");
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(p.send(line).onlySpan().getEndTimeUnixNano()).isEqualTo(nanos("2026-11-25T00:36:06Z"));
        }
    }

    @Test
    void goDurationStringsAreRead() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "duration", "1m2.5ms");
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(60_002_500_000L);
        }
    }

    @Test
    void millisecondDurationsAreReadWhenConfigured() {
        String line = CaddyCapture.withField(access(request("GET", "/health", 200)), "duration", new java.math.BigDecimal("12.5"));
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.log.duration-format", "ms"))) {
            Span span = p.send(line).onlySpan();
            assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(12_500_000L);
        }
    }

    @Test
    void linesOfCaddysOtherLoggersAreCountedAndSkipped() {
        List<String> stderr = CaddyCapture.lines("caddy-stderr.log");
        long accessLines = stderr.stream().filter(l -> l.contains("\"logger\":\"http.log.access")).count();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(stderr);
            assertThat(p.spans()).hasSize((int) accessLines);
            assertThat(p.deadLetters()).isEmpty();
            assertThat(p.metric("lines-skipped-total")).isEqualTo(stderr.size() - accessLines);
        }
    }

    @Test
    void sensitiveQueryValuesAreRedacted() {
        String line = access(l -> l.path("request").path("uri").asText().startsWith("/api/search?"));
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(attributes(span)).containsEntry("url.query", "q=%E2%9C%93%20caf%C3%A9&token=REDACTED&x=%22quoted%22&y='single'&z=a+b");
            assertThat(span.toString()).doesNotContain("secret123");
        }
    }

    /**
     * A signed URL's query is a credential until it expires: OpenTelemetry's url.query asks that AWSAccessKeyId,
     * Signature, sig and X-Goog-Signature be redacted by default; S3's signature version 4 puts the same in X-Amz-Credential and
     * X-Amz-Signature, and a temporary credential's session token in X-Amz-Security-Token.
     */
    @Test
    void theKeysAndSignaturesOfSignedUrlsAreRedacted() {
        String signed = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20261207T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
                + "&AWSAccessKeyId=AKIAI44QH8DHBEXAMPLE&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D&Expires=1141889120"
                + "&X-Goog-Signature=1a2b3c4d5e6f&sv=2022-11-02&sig=c2FzU2lnbmF0dXJl%3D";
        String line = access(l -> l.path("request").path("uri").asText().startsWith("/api/search?"))
                .replace("q=%E2%9C%93%20caf%C3%A9&token=secret123&x=%22quoted%22&y='single'&z=a+b", signed);
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.send(line).onlySpan();
            assertThat(attributes(span)).containsEntry("url.query", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED"
                    + "&X-Amz-Date=20261207T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host"
                    + "&X-Amz-Signature=REDACTED&AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1141889120"
                    + "&X-Goog-Signature=REDACTED&sv=2022-11-02&sig=REDACTED");
            assertThat(span.toString()).doesNotContain("AKIAIOSFODNN7EXAMPLE", "EXAMPLETOKEN", "fe5f80f7", "AKIAI44QH8DHBEXAMPLE",
                    "vjbyPxyb", "1a2b3c4d", "c2FzU2ln");
        }
    }

    @Test
    void pathIsKeptExactlyAsLogged() {
        String line = access(l -> l.path("request").path("uri").asText().equals("/api/%c3%bcn%c3%afcode/%e8%b7%af%e5%be%84/1"));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("url.path", "/api/%c3%bcn%c3%afcode/%e8%b7%af%e5%be%84/1");
        }
    }

    @Test
    void newerCaddysClientIpAndBytesReadAreUsed() {
        String line = CaddyCapture.withRequestField(access(request("GET", "/public/xff", 200)), "client_ip", "203.0.113.7");
        line = CaddyCapture.withField(line, "bytes_read", 2048);
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(line).onlySpan()))
                    .containsEntry("client.address", "203.0.113.7").containsEntry("http.request.body.size", 2048L);
        }
    }

    @Test
    void invalidUtf8IsRepairedAsGoWouldHaveWrittenIt() {
        // raw 0xff 0xfe inside the path: bytes a shipper can mangle a line into, which Go would have written as U+FFFD
        String latin1 = access(request("GET", "/health", 200)).replace("\"/health\"", "\"/health-\u00ff\u00fe\"");
        byte[] line = latin1.getBytes(StandardCharsets.ISO_8859_1);
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.sendBytes(line).onlySpan();
            assertThat(attributes(span)).containsEntry("url.path", "/health-\ufffd\ufffd");
        }
    }

    private static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }

    static String header(TestRecord<byte[], byte[]> record, String name) {
        return DeadLetterHeaders.text(record.headers(), name);
    }
}
