package dev.caddylightstep.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring holds together on its own: alerts that say how bad and what happened, keep the labels they name and
 * read recorded series only after they are recorded; burn-rate alerts with the SRE workbook's windows and thresholds
 * (the ones the application applies to write caddy.slo.alerts); a dashboard whose panels do not overlap and whose
 * variables exist. What the files query is checked against a running application by DeployMetricsDriftTest.
 */
class DeployMonitoringTest {
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "page", "ticket", "info");
    private static final Pattern AGGREGATION = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");
    private static final Pattern LABEL_REFERENCE = Pattern.compile("\\$labels\\.([a-zA-Z_][a-zA-Z0-9_]*)");
    private static final Pattern WINDOW_OVER = Pattern.compile("\\{window=\"([^\"]+)\"}\\s*\\)\\s*>\\s*([0-9.]+)");
    private static final Pattern BRANCH = Pattern.compile("\\bor\\b");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([a-zA-Z_][a-zA-Z0-9_]*)");

    private static List<MonitoringFiles.Rule> alerts() {
        return MonitoringFiles.rules().stream().filter(rule -> !rule.records()).toList();
    }

    /** The alerts that read the SLO series, directly or through a recorded series. */
    private static List<MonitoringFiles.Rule> sloAlerts() {
        Map<String, List<String>> recorded = MonitoringFiles.recordedFrom();
        return alerts().stream().filter(rule -> PromQl.metricNames(rule.expr()).stream()
                .flatMap(name -> recorded.getOrDefault(name, List.of(name)).stream())
                .anyMatch(name -> name.startsWith("caddy_slo_"))).toList();
    }

    @Test
    void everyAlertHasASeverityASummaryAndADescription() {
        assertThat(alerts()).isNotEmpty().allSatisfy(alert -> {
            assertThat(alert.label("severity")).as(alert.where()).isIn(SEVERITIES);
            assertThat(alert.annotation("summary")).as(alert.where()).isNotBlank();
            assertThat(alert.annotation("description")).as(alert.where()).isNotBlank();
        });
    }

    /** Prometheus evaluates a group's rules in order, and the groups independently of each other. */
    @Test
    void aRecordedSeriesIsReadOnlyAfterItsRuleInTheSameGroup() {
        List<MonitoringFiles.Rule> rules = MonitoringFiles.rules();
        Set<String> recorded = MonitoringFiles.recordedFrom().keySet();
        assertThat(recorded).isNotEmpty();
        for (int i = 0; i < rules.size(); i++) {
            MonitoringFiles.Rule rule = rules.get(i);
            Set<String> before = new HashSet<>();
            for (MonitoringFiles.Rule earlier : rules.subList(0, i)) {
                if (earlier.records() && earlier.group().equals(rule.group())) {
                    before.add(earlier.name());
                }
            }
            List<String> reads = rule.queries().stream().flatMap(q -> PromQl.metricNames(q).stream()).filter(recorded::contains).toList();
            assertThat(before).as(rule.where() + " reads " + reads).containsAll(reads);
        }
    }

    @Test
    void everyLabelAnAlertNamesIsKeptByItsAggregations() {
        assertThat(alerts()).allSatisfy(alert -> {
            Set<String> named = new TreeSet<>();
            for (String text : List.of(alert.annotation("summary"), alert.annotation("description"))) {
                Matcher label = LABEL_REFERENCE.matcher(text);
                while (label.find()) {
                    named.add(label.group(1));
                }
            }
            Matcher by = AGGREGATION.matcher(alert.expr());
            while (by.find()) {
                assertThat(List.of(by.group(1).split("\\s*,\\s*"))).as(alert.where() + ": " + by.group()).containsAll(named);
            }
        });
    }

    @Test
    void theSloAlertsNameTheGroupAndTheSlo() {
        assertThat(sloAlerts()).hasSize(3).allSatisfy(alert -> {
            assertThat(alert.annotation("summary")).as(alert.where()).contains("$labels.group", "$labels.slo");
            Matcher by = AGGREGATION.matcher(alert.expr());
            // a recorded series is aggregated by group and slo where it is recorded, and read as it is
            while (by.find()) {
                assertThat(List.of(by.group(1).split("\\s*,\\s*"))).as(alert.where() + ": " + by.group()).contains("group", "slo");
            }
        });
    }

    /**
     * Google's SRE workbook, multi-window multi-burn-rate (the rules of README's "SLOs and burn-rate alerts"): page on 1 h
     * and 5 min both over 14.4, or 6 h and 30 min both over 6; ticket on 3 d and 6 h both over 1.
     */
    @Test
    void theBurnRateAlertsPageAndTicketOnTheWorkbooksWindowsAndThresholds() {
        Map<String, Set<Set<String>>> expected = Map.of(
                "page", Set.of(Set.of("1h>14.4", "5m>14.4"), Set.of("6h>6", "30m>6")),
                "ticket", Set.of(Set.of("3d>1", "6h>1")));
        for (Map.Entry<String, Set<Set<String>>> severity : expected.entrySet()) {
            List<MonitoringFiles.Rule> alerts = sloAlerts().stream().filter(a -> severity.getKey().equals(a.label("severity"))).toList();
            assertThat(alerts).as(severity.getKey()).hasSize(1);
            assertThat(branches(alerts.get(0).expr())).as(alerts.get(0).where()).isEqualTo(severity.getValue());
        }
    }

    @Test
    void theBudgetAlertFiresBelowZero() {
        List<MonitoringFiles.Rule> budget = sloAlerts().stream().filter(a -> "info".equals(a.label("severity"))).toList();
        assertThat(budget).hasSize(1);
        List<String> reads = PromQl.metricNames(budget.get(0).expr());
        assertThat(reads.stream().flatMap(name -> MonitoringFiles.recordedFrom().getOrDefault(name, List.of(name)).stream()))
                .contains("caddy_slo_budget_remaining");
        assertThat(budget.get(0).expr()).matches(".*\\s<\\s*0\\s*");
    }

    /** The conditions of each branch of an expression's or: window>threshold, thresholds as plain numbers. */
    private static Set<Set<String>> branches(String expr) {
        Set<Set<String>> branches = new HashSet<>();
        for (String branch : BRANCH.split(expr)) {
            Set<String> conditions = new HashSet<>();
            Matcher over = WINDOW_OVER.matcher(branch);
            while (over.find()) {
                conditions.add(over.group(1) + ">" + new BigDecimal(over.group(2)).stripTrailingZeros().toPlainString());
            }
            branches.add(conditions);
        }
        return branches;
    }

    @Test
    void theDashboardsPanelsHaveTheirOwnIdsAndDoNotOverlap() throws IOException {
        List<JsonNode> panels = new ArrayList<>();
        MonitoringFiles.dashboard().path("panels").forEach(panels::add);
        assertThat(panels.stream().map(p -> p.path("id").asInt())).doesNotHaveDuplicates();
        for (int i = 0; i < panels.size(); i++) {
            JsonNode a = panels.get(i).path("gridPos");
            assertThat(a.path("x").asInt() + a.path("w").asInt()).as(panels.get(i).path("title").asText()).isLessThanOrEqualTo(24);
            for (JsonNode other : panels.subList(i + 1, panels.size())) {
                JsonNode b = other.path("gridPos");
                boolean apart = a.path("x").asInt() + a.path("w").asInt() <= b.path("x").asInt()
                        || b.path("x").asInt() + b.path("w").asInt() <= a.path("x").asInt()
                        || a.path("y").asInt() + a.path("h").asInt() <= b.path("y").asInt()
                        || b.path("y").asInt() + b.path("h").asInt() <= a.path("y").asInt();
                assertThat(apart).as(panels.get(i).path("title").asText() + " and " + other.path("title").asText()).isTrue();
            }
        }
    }

    @Test
    void everyVariableTheDashboardUsesIsDefined() throws IOException {
        JsonNode dashboard = MonitoringFiles.dashboard();
        Set<String> defined = new TreeSet<>();
        dashboard.path("templating").path("list").forEach(v -> defined.add(v.path("name").asText()));
        Set<String> used = new TreeSet<>();
        Matcher variable = VARIABLE.matcher(dashboard.path("panels").toString());
        while (variable.find()) {
            used.add(variable.group(1));
        }
        assertThat(used).contains("group");
        // Grafana's own ($__rate_interval, $__range, ...) start with two underscores
        assertThat(used.stream().filter(name -> !name.startsWith("__"))).allSatisfy(name -> assertThat(defined).contains(name));
    }

    @Test
    void everyPanelOnAGroupsSeriesFollowsTheGroupVariable() throws IOException {
        List<String> perGroup = MonitoringFiles.panelQueries().stream()
                .filter(q -> PromQl.metricNames(q).stream().anyMatch(n -> n.startsWith("caddy_group_") || n.startsWith("caddy_slo_")))
                .toList();
        assertThat(perGroup).isNotEmpty().allSatisfy(q -> assertThat(q).contains("group=~\"$group\""));
    }
}
