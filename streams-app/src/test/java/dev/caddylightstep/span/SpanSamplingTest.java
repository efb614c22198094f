package dev.caddylightstep.span;

import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Sampling on a real capture: every error, denial, misfire, SLO breach and window exemplar exported, about the ratio
 * of the rest, each with its threshold in tracestate, the same decisions on every run, and the windows untouched.
 */
class SpanSamplingTest {
    private static final List<String> CAPTURE = capture();
    /** 10% as OpenTelemetry's samplers write it: the rejection threshold 0xe666 of 2^16, in the top 16 of 56 bits. */
    private static final long TENTH_THRESHOLD = 0xe666L << 40;

    private static List<String> capture() {
        List<String> lines = new ArrayList<>(CaddyCapture.lines("access.log"));
        lines.addAll(CaddyCapture.lines("bulk.log"));
        return lines;
    }

    /** @param decided the sampling decisions counted by the pipeline's metric, kept and dropped alike */
    private record Run(List<Span> spans, Map<String, LatencyAggregateRecord> groups, Map<String, LatencyAggregateRecord> routes, double decided) {
        Set<String> traceIds() {
            return spans.stream().map(SpanSamplingTest::traceId).collect(Collectors.toSet());
        }
    }

    private static Run run(Map<String, String> settings) {
        return run(settings, CAPTURE);
    }

    private static Run run(Map<String, String> settings, List<String> lines) {
        try (PipelineHarness p = PipelineHarness.start(settings)) {
            p.identity("alice", "engineering", "acme").identity("bob", "sales", "acme");
            p.policy("engineering", 500L, List.of("* /api/**"), List.of("DELETE /api/orders/**"));
            p.sendAll(lines);
            return new Run(p.spans(), p.latestByGroup(), p.latestByRoute(), p.metric("spans-sampled-total"));
        }
    }

    private static String traceId(Span span) {
        return HexFormat.of().formatHex(span.getTraceId().toByteArray());
    }

    private static boolean keptByARule(Span span) {
        Map<String, Object> a = attributes(span);
        long status = (long) a.get("http.response.status_code");
        return status >= 500 || status == 401 || status == 403 || a.containsKey("edge.policy.misfire")
                || Boolean.TRUE.equals(a.get("edge.slo.breached"));
    }

    private static long randomness(String traceId) {
        return Long.parseUnsignedLong(traceId.substring(18), 16);
    }

    @Test
    void aTenthOfTheRestIsExportedAndEverySpanWorthSeeingIs() {
        Run all = run(Map.of());
        Run tenth = run(Map.of("caddy.sample.ratio", "0.1"));
        Set<String> exported = tenth.traceIds();

        List<Span> worthSeeing = all.spans().stream().filter(SpanSamplingTest::keptByARule).toList();
        assertThat(worthSeeing).hasSizeGreaterThan(50);
        assertThat(exported).containsAll(worthSeeing.stream().map(SpanSamplingTest::traceId).toList());

        Set<String> exemplars = new HashSet<>();
        for (Map<String, LatencyAggregateRecord> windows : List.of(tenth.groups(), tenth.routes())) {
            windows.values().forEach(w -> w.getExemplars().stream().map(Exemplar::getTraceId).forEach(exemplars::add));
        }
        assertThat(exemplars).isNotEmpty();
        assertThat(exported).containsAll(exemplars);

        // what no rule kept: the spans exported at the ratio (their threshold is 10%'s) and those sampled out, a tenth of
        // them exported, each decided on its trace id's randomness against the threshold
        List<Span> atRandom = tenth.spans().stream().filter(span -> span.getTraceState().startsWith("ot=th:e666")).toList();
        List<Span> sampledOut = all.spans().stream().filter(span -> !exported.contains(traceId(span))).toList();
        double share = atRandom.size() / (double) (atRandom.size() + sampledOut.size());
        assertThat(share).isBetween(0.07, 0.13);
        assertThat(atRandom).allSatisfy(span -> assertThat(randomness(traceId(span))).isGreaterThanOrEqualTo(TENTH_THRESHOLD));
        assertThat(sampledOut).allSatisfy(span -> assertThat(randomness(traceId(span))).isLessThan(TENTH_THRESHOLD));
        assertThat(sampledOut).noneMatch(SpanSamplingTest::keptByARule);
        assertThat(tenth.spans()).allSatisfy(span -> assertThat(span.getTraceState()).matches("ot=th:(e666|0)(,.*)?"));
        assertThat(tenth.decided()).isEqualTo(all.spans().size());
        assertThat(tenth.groups()).isEqualTo(all.groups());
        assertThat(tenth.routes()).isEqualTo(all.routes());
    }

    @Test
    void twoInstancesMakeTheSameDecisionForTheSameTrace() {
        List<String> lines = CaddyCapture.lines("access.log");
        assertThat(run(Map.of("caddy.sample.ratio", "0.1"), lines).traceIds()).isEqualTo(run(Map.of("caddy.sample.ratio", "0.1"), lines).traceIds());
    }

    /**
     * A caller's explicit randomness (ot=rv in its tracestate) decides over its trace id, as it does for every OpenTelemetry
     * sampler of the trace: this traced request's trace id is below a tenth's threshold, its rv above it.
     */
    @Test
    void aCallersExplicitRandomnessDecidesOverItsTraceId() {
        String traced = CaddyCapture.lines("access.log").stream().filter(line -> line.contains("\"uri\":\"/api/traced/1\"")).findFirst().orElseThrow();
        String withRandomness = traced.replace("\"Tracestate\":[\"rojo=00f067aa0ba902b7\"]",
                "\"Tracestate\":[\"ot=rv:ffffffffffffff,rojo=00f067aa0ba902b7\"]");
        assertThat(withRandomness).isNotEqualTo(traced);
        Map<String, String> tenthNoRules = Map.of("caddy.sample.ratio", "0.1", "caddy.sample.keep", "");

        assertThat(run(tenthNoRules, List.of(traced)).spans()).isEmpty();
        assertThat(run(tenthNoRules, List.of(withRandomness)).spans()).isNotEmpty().allSatisfy(span ->
                assertThat(span.getTraceState()).isEqualTo("ot=th:e666;rv:ffffffffffffff,rojo=00f067aa0ba902b7"));
    }

    @Test
    void aGroupsPolicyRatioWinsOverTheDefault() {
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.sample.ratio", "1", "caddy.sample.keep", ""))) {
            p.identity("alice", "engineering", "acme");
            p.policy(new Policy("engineering", List.of(), List.of(), null, null, null, 0.0));
            p.sendAll(CaddyCapture.lines("access.log"));
            assertThat(p.spans()).isNotEmpty().allSatisfy(span -> assertThat(attributes(span).get("edge.group")).isNotEqualTo("engineering"));
        }
    }
}
