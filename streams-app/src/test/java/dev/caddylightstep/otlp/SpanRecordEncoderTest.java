package dev.caddylightstep.otlp;

import dev.caddylightstep.access.StageSettings;
import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SpanMapper;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.policy.EnrichedRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Span records are written straight in OTLP's wire format, as protobuf-java would serialise the same message. */
class SpanRecordEncoderTest {
    private static final String ALICE_ORDERS = access(request("GET", "/api/orders/1001/items", 200));
    private static final Map<String, String> CAPTURING_HEADERS = Map.of("caddy.span.capture-request-headers", "Accept,Tracestate",
            "caddy.span.capture-response-headers", "server,content-type");

    /** Alice, Bob and Carol of the capture with groups, tenants and roles; policies with and without a latency SLO. */
    private static PipelineHarness withIdentitiesAndPolicies() {
        PipelineHarness p = PipelineHarness.start(CAPTURING_HEADERS);
        p.identity("alice", "engineering", "acme", "admin", "dev");
        p.identity("bob", "sales", null);
        p.identity("carol", "support", "acme", "agent");
        p.policy("engineering", 100L, List.of("GET /api/**"), List.of("DELETE /api/orders/*"));
        p.policy("anonymous", 50L, List.of("GET /health", "GET /public/**"), List.of());
        p.policy("support", null, List.of("GET /admin/*"), List.of());
        return p;
    }

    private static ExportTraceServiceRequest parsed(byte[] record) {
        try {
            return ExportTraceServiceRequest.parseFrom(record);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("a span record does not parse", e);
        }
    }

    private static Span span(byte[] record) {
        return parsed(record).getResourceSpans(0).getScopeSpans(0).getSpans(0);
    }

    @Test
    void everyRecordIsTheBytesProtobufJavaWritesForItsMessage() {
        String purge = ALICE_ORDERS.replace("\"method\":\"GET\"", "\"method\":\"PURGE\"");
        try (PipelineHarness p = withIdentitiesAndPolicies()) {
            p.sendAll(CaddyCapture.lines("access.log")).send(purge);
            List<byte[]> records = p.spanRecords();

            assertThat(records).hasSize(p.spans().size()).allSatisfy(record -> assertThat(parsed(record).toByteArray()).isEqualTo(record));
            // what the capture holds and the test claims to cover
            Set<String> keys = new HashSet<>();
            p.spans().forEach(span -> keys.addAll(attributes(span).keySet()));
            assertThat(keys).contains("enduser.id", "edge.tenant", "edge.roles", "edge.policy.decision", "edge.policy.misfire", "edge.slo.ms",
                    "edge.slo.breached", "http.request.method_original", "url.query", "tls.protocol.version", "http.request.header.accept",
                    "http.request.header.tracestate", "http.response.header.server", "http.response.header.content-type");
            assertThat(p.spans()).anySatisfy(span -> assertThat(span.getTraceState()).isNotEmpty())
                    .anySatisfy(span -> assertThat(span.getParentSpanId().isEmpty()).isFalse())
                    .anySatisfy(span -> assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR))
                    .anySatisfy(span -> assertThat((String) attributes(span).get("url.path")).contains("路径"));
        }
    }

    @Test
    void aSpanLargerThanTheScratchBufferIsWrittenWholeAndSoIsTheNext() {
        String path = "/api/raw/" + "ünïcode/路径/".repeat(8_000);
        String huge = CaddyCapture.withRequestField(ALICE_ORDERS, "uri", path);
        try (PipelineHarness p = withIdentitiesAndPolicies()) {
            p.send(huge, ALICE_ORDERS);
            List<byte[]> records = p.spanRecords();

            assertThat(records).hasSize(2).allSatisfy(record -> assertThat(parsed(record).toByteArray()).isEqualTo(record));
            assertThat(records.get(0).length).isGreaterThan(path.getBytes(StandardCharsets.UTF_8).length);
            assertThat(attributes(span(records.get(0)))).containsEntry("url.path", path);
            assertThat(attributes(span(records.get(1)))).containsEntry("url.path", "/api/orders/1001/items");
        }
    }

    @Test
    void threadsMappingAtOnceGetTheRecordsOneThreadGets() throws Exception {
        CapturedHeaders captured = new CapturedHeaders(Set.of("Accept"), Set.of("Server"));
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), captured);
        RouteTemplates routes = new RouteTemplates(List.of());
        Identity alice = new Identity("alice", "engineering", "acme", List.of("admin", "dev"));
        Policy policy = Policy.of("engineering", List.of(AccessRule.parse("GET /api/**")), List.of(), 100L);
        List<EnrichedRequest> requests = new ArrayList<>();
        for (String line : CaddyCapture.lines("access.log")) {
            if (parser.parse(line.getBytes(StandardCharsets.UTF_8)) instanceof ParseOutcome.Parsed parsed) {
                requests.add(new EnrichedRequest(parsed.event(), alice, routes.templateOf(parsed.event().path()), PolicyVerdict.judge(policy, parsed.event())));
            }
        }
        SpanMapper mapper = new SpanMapper(Map.of("service.name", "caddy"), ClientAddressMasking.KEEP, captured, StageSettings.DEFAULTS);
        List<byte[]> alone = requests.stream().map(mapper::toRecord).toList();

        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> differing = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                differing.add(threads.submit(() -> {
                    int count = 0;
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < requests.size(); i++) {
                            count += Arrays.equals(mapper.toRecord(requests.get(i)), alone.get(i)) ? 0 : 1;
                        }
                    }
                    return count;
                }));
            }
            for (Future<Integer> count : differing) {
                assertThat(count.get()).isZero();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
