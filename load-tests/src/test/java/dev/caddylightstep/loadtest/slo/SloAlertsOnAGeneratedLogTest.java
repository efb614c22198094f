package dev.caddylightstep.loadtest.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.loadtest.slo.IncidentLog.Alert;
import dev.caddylightstep.testing.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25's "what must show": {@code demo --caddy-log F --identities I --policies P --until-idle --alerts-out X} on a
 * generated log of about three hours in which every request of one group is slower than its objective for twenty
 * minutes writes to X the page the workbook's rules raise, when they raise it, and its resolution; no other group pages.
 */
class SloAlertsOnAGeneratedLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theSlowGroupPagesSevenToNineMinutesInAndResolvesOnceNeitherPairHoldsAndNoOtherGroupPages() throws Exception {
        IncidentLog incident = IncidentLog.writeTo(dir, IncidentLog.ISSUE_SHAPE);
        Path alertsOut = dir.resolve("alerts.jsonl");

        ChildProcess demo = ChildProcess.start("demo-slo", Map.of(), "demo", "--caddy-log", incident.log.toString(),
                "--identities", incident.identities.toString(), "--policies", incident.policies.toString(), "--until-idle",
                "--idle-seconds", "2", "--alerts-out", alertsOut.toString(), "--http-port", "0");
        int exit = demo.waitFor(Duration.ofSeconds(300));
        assertThat(exit).as(demo.output()).isZero();

        List<Alert> written = alerts(alertsOut);
        // the last windows of the log never close: no later log time comes to close them
        Instant horizon = incident.end.minus(Duration.ofMinutes(5));
        List<Alert> pages = pagesBefore(written, horizon);
        List<Alert> expectedPages = pagesBefore(incident.expectedAlerts(horizon), horizon);

        assertThat(expectedPages).as("the rules on the generated lines")
                .extracting(Alert::group, Alert::slo, Alert::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(IncidentLog.SLOW_GROUP, "latency", "firing"),
                        org.assertj.core.groups.Tuple.tuple(IncidentLog.SLOW_GROUP, "latency", "resolved"));
        assertThat(expectedPages.get(0).minutesAfter(incident.onset)).isBetween(7L, 9L);
        assertThat(pages).as(String.join("\n", Files.readAllLines(alertsOut))).isEqualTo(expectedPages);
        for (String line : Files.readAllLines(alertsOut)) {
            JsonNode alert = JSON.readTree(line);
            // every alert, tickets too, decided on every request of the windows it ends (the line rounds to 4 decimals)
            incident.burnRates(alert.get("group").asText(), alert.get("slo").asText(), alert.get("at_ms").asLong()).forEach((period, rate) ->
                    assertThat(alert.get("burn_rates").get(period).asDouble()).as(line + " over " + period).isCloseTo(rate, within(0.00006)));
        }
    }

    private static List<Alert> pagesBefore(List<Alert> alerts, Instant horizon) {
        return alerts.stream().filter(a -> a.severity().equals("page") && a.atMs() <= horizon.toEpochMilli()).toList();
    }

    static List<Alert> alerts(Path alertsOut) throws Exception {
        List<Alert> alerts = new ArrayList<>();
        for (String line : Files.readAllLines(alertsOut)) {
            alerts.add(Alert.of(JSON.readTree(line)));
        }
        return alerts;
    }
}
