package dev.caddylightstep.access;

import static dev.caddylightstep.testing.capture.CaddyCapture.first;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.capture.CaddyCapture.withField;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.deadletter.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a line tells of its upstream call and its backend's stages: Caddy 2.6.2's header_down Server-Timing entry
 * (test resources caddy-2.6.2/stages.log), and Caddy 2.8's log_append fields, added to a real line as that Caddy
 * writes them.
 */
class UpstreamTimingTest {
    /** The backend slept 20 ms (db) and 5 ms (cache); Caddy's time to its headers was 26.525859 ms, its total 26.7 ms. */
    private static final String PROXIED = first("stages.log", request("GET", "/api/orders?db=20&cache=5", 200));
    /** Answered by Caddy itself: no upstream. */
    private static final String HEALTH = first("stages.log", request("GET", "/health", 200));
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());

    private static ParseOutcome outcome(String line) {
        return PARSER.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    private static AccessEvent parse(String line) {
        return ((ParseOutcome.Parsed) outcome(line)).event();
    }

    @Test
    void caddysServerTimingEntryIsTheTimeToTheUpstreamsHeaders() {
        AccessEvent event = parse(PROXIED);

        assertThat(event.upstream()).isEqualTo(new UpstreamTiming(26.525859, UpstreamTiming.Measure.TTFB, null));
        assertThat(event.serverTiming().backend()).extracting(ServerTiming.Metric::name).containsExactly("db", "cache");
    }

    @Test
    void serverTimingIsReadButNotKeptAsAHeaderUnlessCaptured() {
        assertThat(parse(PROXIED).responseHeaders()).isEmpty();

        CaddyLogParser capturing = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(),
                new CapturedHeaders(Set.of(), Set.of("server-timing")));
        AccessEvent event = ((ParseOutcome.Parsed) capturing.parse(PROXIED.getBytes(StandardCharsets.UTF_8))).event();
        assertThat(event.responseHeaders()).containsOnlyKeys("Server-Timing");
        assertThat(event.upstream()).isNotNull();
    }

    @Test
    void aRequestCaddyAnsweredItselfHasNoUpstream() {
        AccessEvent event = parse(HEALTH);

        assertThat(event.upstream()).isNull();
        assertThat(event.serverTiming()).isSameAs(ServerTiming.NONE);
    }

    @Test
    void logAppendsDurationIsPreferredToTheTimeToHeaders() {
        String line = withField(withField(withField(PROXIED, "upstream_duration_ms", 26.6), "upstream_latency_ms", 26.525859),
                "upstream_addr", "127.0.0.1:18081");

        assertThat(parse(line).upstream()).isEqualTo(new UpstreamTiming(26.6, UpstreamTiming.Measure.DURATION, "127.0.0.1:18081"));
    }

    @Test
    void logAppendsLatencyAloneIsTheTimeToHeadersAndNumericStringsAreRead() {
        String line = withField(PROXIED, "upstream_latency_ms", "25.5");

        assertThat(parse(line).upstream()).isEqualTo(new UpstreamTiming(25.5, UpstreamTiming.Measure.TTFB, null));
    }

    @Test
    void goWritesSmallFloatsWithAnExponent() {
        String line = withField(HEALTH, "upstream_duration_ms", new java.math.BigDecimal("1.5E-6"));

        assertThat(parse(line).upstream().millis()).isEqualTo(1.5e-6);
    }

    @Test
    void unresolvedPlaceholdersAreNoUpstream() {
        // log_append writes null for a placeholder no handler set (a request that never reached reverse_proxy)
        String line = withField(withField(withField(HEALTH, "upstream_duration_ms", null), "upstream_latency_ms", ""), "upstream_addr", null);

        assertThat(parse(line).upstream()).isNull();
    }

    @Test
    void anUpstreamNeverTakesLongerThanItsRequest() {
        String line = withField(HEALTH, "upstream_duration_ms", 5_000.0);

        AccessEvent event = parse(line);
        assertThat(event.upstream().millis()).isEqualTo(event.durationMillis());
    }

    @Test
    void aValueThatIsNoNumberOfMillisecondsIsADeadLetterThatSaysWhere() {
        for (Object bad : new Object[] {"abc", -1.0, "1e999999999", "NaN", "0x10", "Infinity"}) {
            ParseOutcome outcome = outcome(withField(PROXIED, "upstream_duration_ms", bad));
            assertThat(outcome).as("%s", bad).isInstanceOf(ParseOutcome.Rejected.class);
            assertThat(((ParseOutcome.Rejected) outcome).reason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
            assertThat(((ParseOutcome.Rejected) outcome).detail()).startsWith("upstream_duration_ms '");
        }
        ParseOutcome object = outcome(withField(PROXIED, "upstream_latency_ms", java.util.Map.of("ms", 1)));
        assertThat(((ParseOutcome.Rejected) object).reason()).isEqualTo(DeadLetterReason.WRONG_TYPE);
    }

    @Test
    void aHostileServerTimingNeverFailsTheLine() {
        String line = PROXIED.replace("cache;dur=5.0\"", "cache;dur=5.0, \\\"unclosed;;;===,,,;dur=1e999999999\"");

        AccessEvent event = parse(line);
        assertThat(event.serverTiming().metrics()).extracting(ServerTiming.Metric::name).containsExactly("db", "cache", "caddy-upstream");
        assertThat(event.serverTiming().skipped()).isPositive();
    }

    @Test
    void aBackendsStagesAreItsTimedEntriesByLowerCaseNameSummedWhenRepeated() {
        String twice = first("stages.log", request("GET", "/api/orders?db=10&cache=2&extra=DB%3Bdur%3D7", 200));

        assertThat(StageTime.of(parse(twice), 8)).extracting(StageTime::name).containsExactly("edge", "upstream", "db", "cache");
        assertThat(StageTime.of(parse(twice), 8).get(2).millis()).isEqualTo(17.0);
        assertThat(StageTime.of(parse(twice), 1)).extracting(StageTime::name).containsExactly("edge", "upstream", "db", "{other}");
    }

    @Test
    void theEdgeIsTheRequestsTimeOutsideTheUpstreamCall() {
        AccessEvent event = parse(PROXIED);
        java.util.List<StageTime> stages = StageTime.of(event, 8);

        assertThat(stages.get(0).millis()).isCloseTo(event.durationMillis() - 26.525859, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(stages.get(0).millis()).isPositive();
    }

    @Test
    void stageNamesAreLowerCaseAndLimitedToSafeCharacters() {
        assertThat(StageTime.stageName("DB.Query#1")).isEqualTo("db.query_1");
        assertThat(StageTime.stageName("x".repeat(200))).hasSize(64);
    }
}
