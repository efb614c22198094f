package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.StageSummary;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The stages of the windows, on Caddy 2.6.2's lines of a backend that times its database and cache (stages.log), checked
 * against a recount of the lines' stages made here: counts and max exact, quantiles within the sketch's 1%.
 */
class StageWindowsTest {
    private static final List<String> LINES = CaddyCapture.lines("stages.log");
    // the capture's ten lines, from 06:14:46.69 to 06:14:47.34 on 2026-12-05, fall in one minute
    private static final long WINDOW = 1_796_451_240_000L;
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());

    private static AccessEvent event(String line) {
        return ((ParseOutcome.Parsed) PARSER.parse(line.getBytes(StandardCharsets.UTF_8))).event();
    }

    /**
     * Each stage's milliseconds, line by line: every stage a line has; a backend's names past the first
     * {@code maxServerTimings} of the window summed per line under {other}.
     */
    private static Map<String, List<Double>> recount(List<String> lines, int maxServerTimings) {
        Map<String, List<Double>> byStage = new LinkedHashMap<>();
        Set<String> kept = new LinkedHashSet<>();
        for (String line : lines) {
            double other = 0;
            boolean hasOther = false;
            for (StageTime stage : StageTime.of(event(line), Integer.MAX_VALUE)) {
                boolean caddys = stage.name().equals(StageTime.EDGE) || stage.name().equals(StageTime.UPSTREAM);
                if (caddys || kept.contains(stage.name()) || (kept.size() < maxServerTimings && kept.add(stage.name()))) {
                    byStage.computeIfAbsent(stage.name(), name -> new ArrayList<>()).add(stage.millis());
                } else {
                    other += stage.millis();
                    hasOther = true;
                }
            }
            if (hasOther) {
                byStage.computeIfAbsent(StageTime.OTHER, name -> new ArrayList<>()).add(other);
            }
        }
        byStage.values().forEach(ms -> ms.sort(Comparator.naturalOrder()));
        return byStage;
    }

    private static void assertStagesAreTheRecount(LatencyAggregateRecord window, Map<String, List<Double>> recount) {
        assertThat(window.getStages()).containsOnlyKeys(recount.keySet());
        recount.forEach((name, ms) -> {
            StageSummary stage = window.getStages().get(name);
            assertThat(stage.getCount()).as(name).isEqualTo(ms.size());
            assertThat(stage.getMax()).as(name).isEqualTo(ms.get(ms.size() - 1));
            assertThat(stage.getMean()).as(name).isCloseTo(ms.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), within(1e-9));
            assertWithinOnePercent(name, stage.getP50(), exact(ms, 0.5));
            assertWithinOnePercent(name, stage.getP95(), exact(ms, 0.95));
            assertWithinOnePercent(name, stage.getP99(), exact(ms, 0.99));
        });
    }

    /** The lower quantile DDSketch guarantees against: the value of rank floor(q (n - 1)). */
    private static double exact(List<Double> sorted, double q) {
        return sorted.get((int) Math.floor(q * (sorted.size() - 1)));
    }

    private static void assertWithinOnePercent(String stage, double estimate, double exact) {
        assertThat(estimate).as(stage).isCloseTo(exact, within(exact * LatencySketch.RELATIVE_ACCURACY + 1e-9));
    }

    private static LatencyAggregateRecord groupWindow(PipelineHarness p) {
        return p.latestByGroup().get("anonymous@" + WINDOW);
    }

    private static LatencyAggregateRecord ordersWindow(PipelineHarness p) {
        return p.latestByRoute().get("anonymous /api/orders@" + WINDOW);
    }

    @Test
    void aWindowsStagesAreARecountOfItsLinesStages() {
        Map<String, List<Double>> recount = recount(LINES, 8);
        assertThat(recount).containsOnlyKeys("edge", "upstream", "db", "cache", "render");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(LINES);
            assertStagesAreTheRecount(groupWindow(p), recount);
            // /health, Caddy's own answer, has no stages: the route of the backend's requests has them all
            assertStagesAreTheRecount(ordersWindow(p), recount);
            assertThat(p.latestByRoute().get("anonymous /health@" + WINDOW).getStages()).isEmpty();
        }
    }

    @Test
    void aBackendsNamesPastTheCapCountUnderOther() {
        Map<String, List<Double>> recount = recount(LINES, 1);
        assertThat(recount).containsOnlyKeys("edge", "upstream", "db", "{other}");
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.stage.max-server-timings", "1"))) {
            p.sendAll(LINES);
            assertStagesAreTheRecount(groupWindow(p), recount);
        }
    }

    @Test
    void partialWindowsMergedIntoTheGroupsKeepTheCap() {
        // the first orders line again, from a backend that sends its cache's entry first: its partial window names cache
        String proxied = CaddyCapture.first("stages.log", CaddyCapture.request("GET", "/api/orders?db=20&cache=5", 200));
        ObjectNode cacheFirst = (ObjectNode) CaddyCapture.tree(proxied);
        ArrayNode serverTiming = ((ObjectNode) cacheFirst.get("resp_headers")).putArray("Server-Timing");
        serverTiming.add("cache;dur=5.0, db;dur=20.0;desc=\"orders, by id\"").add("caddy-upstream;dur=26.525859");
        List<String> lines = new ArrayList<>(LINES);
        lines.add(CaddyCapture.write(cacheFirst));
        Map<String, List<Double>> all = recount(lines, Integer.MAX_VALUE);
        double backendMs = all.entrySet().stream().filter(e -> !e.getKey().equals("edge") && !e.getKey().equals("upstream"))
                .flatMap(e -> e.getValue().stream()).mapToDouble(Double::doubleValue).sum();

        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.stage.max-server-timings", "1"))) {
            p.sendAll(lines);
            for (LatencyAggregateRecord window : List.of(groupWindow(p), ordersWindow(p))) {
                Map<String, StageSummary> stages = window.getStages();
                assertThat(stages).containsOnlyKeys("edge", "upstream", "db", "{other}");
                assertThat(stages.get("upstream").getCount()).isEqualTo(all.get("upstream").size());
                // every millisecond the backend timed is in the window, under db or {other}
                double windowMs = stages.get("db").getMean() * stages.get("db").getCount()
                        + stages.get("{other}").getMean() * stages.get("{other}").getCount();
                assertThat(windowMs).isCloseTo(backendMs, within(1e-9));
            }
        }
    }

    @Test
    void aWindowOfRequestsNoStageTimedHasNoStages() {
        String health = CaddyCapture.first("stages.log", CaddyCapture.request("GET", "/health", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(health, health);
            LatencyAggregateRecord window = groupWindow(p);
            assertThat(window.getCount()).isEqualTo(2);
            assertThat(window.getStages()).isEmpty();
            JsonNode line = AggregateJson.of(window);
            assertThat(line.get("stages").isObject()).isTrue();
            assertThat(line.get("stages").size()).isZero();
        }
    }

    @Test
    void aWindowsJsonLineHasItsStagesInMsCaddysFirst() {
        Map<String, List<Double>> recount = recount(LINES, 8);
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(LINES);
            JsonNode stages = AggregateJson.of(groupWindow(p)).get("stages");
            List<String> names = new ArrayList<>();
            stages.fieldNames().forEachRemaining(names::add);
            assertThat(names).containsExactly("edge", "upstream", "cache", "db", "render");
            for (String name : names) {
                JsonNode stage = stages.get(name);
                List<String> fields = new ArrayList<>();
                stage.fieldNames().forEachRemaining(fields::add);
                assertThat(fields).containsExactly("count", "mean", "p50", "p95", "p99", "max");
                List<Double> ms = recount.get(name);
                assertThat(stage.get("count").asLong()).isEqualTo(ms.size());
                assertThat(stage.get("max").asDouble()).isCloseTo(ms.get(ms.size() - 1), within(0.0005));
            }
        }
    }
}
