package dev.caddylightstep.span;

import dev.caddylightstep.access.StageSettings;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.EnrichedRequest;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.testing.capture.CaddyCapture;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The span record of whatever request a line holds (the input: a line, parsed, then judged as the pipeline would): one
 * OTLP span, the same bytes protobuf-java writes, carrying the request's path, named for its route, no larger than the
 * line allows. The corpus (SpanEncoderFuzzTestInputs in the test resources) is the parser's: real Caddy lines, the
 * hostile corpus and the lines of issue 21 (the long path's is made by a test below).
 */
class SpanEncoderFuzzTest {
    private static final CapturedHeaders CAPTURED = new CapturedHeaders(Set.of("Accept", "Content-Type"), Set.of("Content-Type", "Server"));
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CAPTURED);
    private static final SpanMapper SPANS = new SpanMapper(Map.of("service.name", "caddy"), ClientAddressMasking.KEEP, CAPTURED, StageSettings.DEFAULTS);
    private static final RouteTemplates ROUTES = new RouteTemplates(List.of());
    /** The README's policy, and issue 21's deny rule for anonymous clients. */
    private static final Policy ENGINEERING = Policy.of("engineering", rules("* /api/**", "GET /admin/**"), rules("DELETE /api/orders/**"), 1000L);
    private static final Policy ANONYMOUS = Policy.of(Identity.ANONYMOUS_GROUP, rules("GET /**"), rules("* /api/**"), null);
    /**
     * What a span holds besides the line's characters: attribute keys, ids, times, the resource and the scope, and the
     * route twice more (name and http.route, at most 256 characters each).
     */
    private static final long SPAN_OVERHEAD_BYTES = 4096;

    private static List<AccessRule> rules(String... rules) {
        return List.of(rules).stream().map(AccessRule::parse).toList();
    }

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRequestIsOneOtlpSpanOfItsPathNamedForItsRoute(byte[] line) throws InvalidProtocolBufferException {
        if (PARSER.parse(line) instanceof ParseOutcome.Parsed parsed) {
            encodedSoundly(parsed.event(), line);
        }
    }

    /**
     * Issue 21's anonymous GET /api/ and 150,000 segments (300 KB), denied by {@code * /api/**}, with no route: made here
     * rather than stored, as a seed would have libFuzzer make inputs of up to 300 KB all along.
     */
    @Test
    void aPathOf150000SegmentsIsASpanNamedForTheMethodAlone() throws InvalidProtocolBufferException {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        byte[] line = CaddyCapture.withRequestField(CaddyCapture.access(CaddyCapture.request("GET", "/admin/settings", 401)), "uri", path)
                .getBytes(StandardCharsets.UTF_8);
        AccessEvent event = ((ParseOutcome.Parsed) PARSER.parse(line)).event();
        Span span = encodedSoundly(event, line);
        assertThat(span.getName()).isEqualTo("GET");
        assertThat(span.getAttributesList()).anySatisfy(a -> {
            assertThat(a.getKey()).isEqualTo("edge.policy.decision");
            assertThat(a.getValue().getStringValue()).isEqualTo("deny");
        });
    }

    private static Span encodedSoundly(AccessEvent event, byte[] line) throws InvalidProtocolBufferException {
        boolean anonymous = event.userId().isEmpty();
        Identity identity = anonymous ? Identity.anonymous() : new Identity(event.userId(), "engineering", "acme", List.of("admin", "developer"));
        String route = ROUTES.templateOf(event.path());
        EnrichedRequest request = new EnrichedRequest(event, identity, route, PolicyVerdict.judge(anonymous ? ANONYMOUS : ENGINEERING, event));

        SpanMapper.RequestSpans spans = SPANS.spans(request, event.trace().traceState());
        byte[] record = spans.record();

        ExportTraceServiceRequest decoded = ExportTraceServiceRequest.parseFrom(record);
        assertThat(decoded.toByteArray()).as("the bytes protobuf-java writes for the same message").isEqualTo(record);
        assertThat(decoded.getResourceSpansList()).hasSize(1);
        assertThat(decoded.getResourceSpans(0).getScopeSpansList()).hasSize(1);
        assertThat(decoded.getResourceSpans(0).getScopeSpans(0).getSpansList()).hasSize(1);
        assertThat(spans.count()).as("the spans the mapper says it wrote, which its batch counts").isEqualTo(1);
        Span span = decoded.getResourceSpans(0).getScopeSpans(0).getSpans(0);
        List<String> keys = span.getAttributesList().stream().map(KeyValue::getKey).toList();
        assertThat(keys).doesNotHaveDuplicates();
        Map<String, KeyValue> attributes = span.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, Function.identity()));

        assertThat(attributes.get("url.path").getValue().getStringValue()).isEqualTo(event.path());
        assertThat(span.getName()).isEqualTo(route == null ? event.method() : event.method() + " " + route);
        if (route == null) {
            assertThat(attributes).doesNotContainKey("http.route");
        } else {
            assertThat(attributes.get("http.route").getValue().getStringValue()).isEqualTo(route);
        }
        assertThat(HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo(event.trace().traceId());
        assertThat(HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo(event.trace().spanId());
        // OTLP's times are unsigned nanoseconds since the epoch
        assertThat(span.getEndTimeUnixNano()).isEqualTo(event.endEpochNanos());
        assertThat(Long.compareUnsigned(span.getStartTimeUnixNano(), span.getEndTimeUnixNano())).as("start against end").isLessThanOrEqualTo(0);
        // each character of the line at most once, as at most three bytes of UTF-8 (an invalid byte is U+FFFD), but the
        // host twice (server.address and the resource's caddy.host) and a secret query value as REDACTED
        long redactions = occurrences(event.uri(), Redaction.REDACTED);
        assertThat((long) record.length).as("record of a line of %d bytes", line.length)
                .isLessThanOrEqualTo(3L * (line.length + event.host().length()) + 7 * redactions + SPAN_OVERHEAD_BYTES);
        return span;
    }

    private static long occurrences(String s, String part) {
        long count = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
