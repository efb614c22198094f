package dev.caddylightstep.access;

import dev.caddylightstep.access.StageSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SpanMapper;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.policy.EnrichedRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Properties of the parser and the span mapping over generated and mutated real lines: nothing escapes, spans round-trip. */
class ParserProperties {
    private static final List<String> REAL = CaddyCapture.lines("access.log");
    private static final SpanMapper SPANS = new SpanMapper(Map.of("service.name", "caddy"), ClientAddressMasking.KEEP, CapturedHeaders.none(), StageSettings.DEFAULTS);
    private static final RouteTemplates ROUTES = new RouteTemplates(List.of());

    private static CaddyLogParser parser() {
        return new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), java.util.Set.of(), CapturedHeaders.none());
    }

    @Provide
    Arbitrary<String> realLines() {
        return Arbitraries.of(REAL);
    }

    @Property(tries = 500)
    void noInputMakesTheParserThrow(@ForAll byte[] bytes) {
        assertThat(parser().parse(bytes)).isNotNull();
    }

    @Property(tries = 500)
    void aRealLineWithOneByteChangedIsParsedOrRejectedNeverThrown(@ForAll("realLines") String line, @ForAll @IntRange(min = 0, max = 10_000) int at,
                                                                  @ForAll byte replacement) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        bytes[at % bytes.length] = replacement;
        ParseOutcome outcome = parser().parse(bytes);
        assertThat(outcome).isNotNull();
        if (outcome instanceof ParseOutcome.Rejected rejected) {
            assertThat(rejected.detail()).isNotBlank();
        }
    }

    @Property(tries = 300)
    void everyCutOfARealLineIsRejected(@ForAll("realLines") String line, @ForAll @IntRange(min = 1, max = 10_000) int cut) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        byte[] prefix = java.util.Arrays.copyOf(bytes, cut % bytes.length);
        assertThat(parser().parse(prefix)).isInstanceOf(ParseOutcome.Rejected.class);
    }

    @Property(tries = 300)
    void timesAndDurationsAreReadToTheNanosecond(@ForAll @LongRange(min = 946_684_800_000_000_000L, max = 4_102_444_800_000_000_000L) long endNanos,
                                                 @ForAll @LongRange(min = 0, max = 3_600_000_000_000L) long durationNanos) {
        String line = CaddyCapture.withField(CaddyCapture.withField(REAL.get(0), "ts", BigDecimal.valueOf(endNanos, 9)),
                "duration", BigDecimal.valueOf(durationNanos, 9));
        AccessEvent event = ((ParseOutcome.Parsed) parser().parse(line.getBytes(StandardCharsets.UTF_8))).event();
        assertThat(event.endEpochNanos()).isEqualTo(endNanos);
        assertThat(event.durationNanos()).isEqualTo(durationNanos);
    }

    @Property(tries = 300)
    void aParsedLinesSpanRoundTripsThroughOtlp(@ForAll("realLines") String real, @ForAll @IntRange(min = 100, max = 599) int status,
                                              @ForAll("paths") String path) {
        String line = CaddyCapture.withField(CaddyCapture.withRequestField(real, "uri", path), "status", status);
        ParseOutcome outcome = parser().parse(line.getBytes(StandardCharsets.UTF_8));
        assertThat(outcome).isInstanceOf(ParseOutcome.Parsed.class);
        AccessEvent event = ((ParseOutcome.Parsed) outcome).event();
        EnrichedRequest request = new EnrichedRequest(event, Identity.anonymous(), ROUTES.templateOf(event.path()), PolicyVerdict.judge(null, event));
        byte[] record = SPANS.toRecord(request);
        ExportTraceServiceRequest decoded;
        try {
            decoded = ExportTraceServiceRequest.parseFrom(record);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        assertThat(decoded.toByteArray()).isEqualTo(record);
        Span span = decoded.getResourceSpans(0).getScopeSpans(0).getSpans(0);
        Map<String, KeyValue> attributes = span.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv));
        assertThat(attributes.get("http.response.status_code").getValue().getIntValue()).isEqualTo(status);
        assertThat(attributes.get("url.path").getValue().getStringValue()).isEqualTo(event.path());
        assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(event.durationNanos());
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.strings().withCharRange(' ', '\uFFFD').ofMaxLength(80).map(s -> "/" + s);
    }
}
