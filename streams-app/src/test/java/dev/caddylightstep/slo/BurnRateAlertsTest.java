package dev.caddylightstep.slo;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.withField;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.testing.PipelineHarness;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Burn-rate alerts in log time, on a real line of alice's (engineering) and of bob's (sales) replayed every 10 s with
 * Caddy times and durations set: two quiet hours, then twenty minutes in which every request of alice's is slower than
 * her group's 100 ms objective (target 0.99), then an hour of quiet again.
 */
class BurnRateAlertsTest {
    private static final String ALICE = access(line -> line.path("user_id").asText().equals("alice") && line.path("status").asInt() == 200);
    private static final String BOB = access(line -> line.path("user_id").asText().equals("bob") && line.path("status").asInt() == 200);
    private static final Instant START = Instant.parse("2026-12-05T00:00:00Z");
    private static final Instant ONSET = START.plus(Duration.ofHours(2));
    private static final Instant RECOVERY = ONSET.plus(Duration.ofMinutes(20));
    private static final Instant END = RECOVERY.plus(Duration.ofHours(1));

    private static String at(String line, Instant ts, double durationSeconds) {
        BigDecimal seconds = BigDecimal.valueOf(ts.getEpochSecond()).add(BigDecimal.valueOf(ts.getNano(), 9));
        return withField(withField(line, "ts", seconds), "duration", BigDecimal.valueOf(durationSeconds));
    }

    private static List<String> log() {
        List<String> lines = new ArrayList<>();
        for (Instant t = START; t.isBefore(END); t = t.plusSeconds(10)) {
            boolean slow = !t.isBefore(ONSET) && t.isBefore(RECOVERY);
            lines.add(at(ALICE, t, slow ? 0.5 : 0.01));
            lines.add(at(BOB, t.plusSeconds(5), 0.02));
        }
        return lines;
    }

    private static PipelineHarness pipeline() {
        List<AccessRule> all = List.of(AccessRule.parse("* /**"));
        return PipelineHarness.start()
                .identity("alice", "engineering", "acme")
                .identity("bob", "sales", "acme")
                .policy(new Policy("engineering", all, List.of(), 100L, 0.99, 0.999, null))
                .policy(new Policy("sales", all, List.of(), 100L, 0.99, 0.999, null));
    }

    private static long minutesAfterOnset(SloAlertRecord alert) {
        return Duration.between(ONSET, Instant.ofEpochMilli(alert.getAtMs())).toMinutes();
    }

    @Test
    void aGroupSlowerThanItsObjectivePagesEightMinutesInAndResolvesOnceNeitherPairHolds() {
        try (PipelineHarness p = pipeline()) {
            p.sendAll(log());
            List<SloAlertRecord> pages = p.sloAlerts().stream().filter(a -> a.getSeverity().equals("page")).toList();

            assertThat(pages).extracting(SloAlertRecord::getGroup, SloAlertRecord::getSlo, SloAlertRecord::getState)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("engineering", "latency", "firing"),
                            org.assertj.core.groups.Tuple.tuple("engineering", "latency", "resolved"));
            SloAlertRecord firing = pages.get(0);
            // the 6 h / 30 min pair holds first (6 h: 8 bad minutes of 128 is a burn rate of 6.25), then the 1 h / 5 min pair
            assertThat(minutesAfterOnset(firing)).isBetween(7L, 9L);
            assertThat(firing.getBurnRates().get("6h")).isGreaterThan(6.0);
            assertThat(firing.getBurnRates().get("30m")).isGreaterThan(6.0);
            assertThat(firing.getBudgetRemaining()).isLessThan(1.0);
            assertThat(firing.getExemplars()).isNotEmpty();
            // the 30 min rate falls under 6 when fewer than 1.8 of its minutes were slow: 28 minutes after the recovery
            SloAlertRecord resolved = pages.get(1);
            assertThat(Duration.between(RECOVERY, Instant.ofEpochMilli(resolved.getAtMs())).toMinutes()).isBetween(27L, 29L);
        }
    }

    @Test
    void aReplayRaisesTheSameAlerts() {
        try (PipelineHarness first = pipeline(); PipelineHarness replay = pipeline()) {
            first.sendAll(log());
            replay.sendAll(log());
            assertThat(replay.sloAlerts()).isEqualTo(first.sloAlerts());
        }
    }

    @Test
    void aGroupWithinItsObjectiveNeverAlerts() {
        try (PipelineHarness p = pipeline()) {
            p.sendAll(log());
            assertThat(p.sloAlerts()).extracting(SloAlertRecord::getGroup).doesNotContain("sales");
        }
    }

    @Test
    void aGroupWhosePolicySetsNoTargetIsNotEvaluated() {
        List<AccessRule> all = List.of(AccessRule.parse("* /**"));
        try (PipelineHarness p = PipelineHarness.start().identity("alice", "engineering", "acme")
                .policy(new Policy("engineering", all, List.of(), 100L, null, null, null))) {
            p.sendAll(log());
            assertThat(p.sloAlerts()).isEmpty();
        }
    }
}
