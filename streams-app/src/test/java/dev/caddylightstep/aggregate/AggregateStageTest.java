package dev.caddylightstep.aggregate;

import static dev.caddylightstep.testing.CaddyCapture.access;
import static dev.caddylightstep.testing.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** Stage aggregate: per-group and per-route windows of real lines, checked against numbers computed here from the lines. */
class AggregateStageTest {
    // 1795566960000 is a minute boundary; the whole capture falls in [1795566960000, 1795567020000)
    private static final long WINDOW = 1_795_566_960_000L;
    private static final String HEALTH = access(request("GET", "/health", 200));
    /** Where partial windows go to their group's task: the application id's, by default. */
    private static final String REPARTITION = "caddy-lightstep-latency-windows-repartition";
    private static final String PARTIALS_CHANGELOG = "caddy-lightstep-latency-partials-changelog";

    private static String at(String line, long epochMillis) {
        return CaddyCapture.withField(line, "ts", BigDecimal.valueOf(epochMillis).movePointLeft(3));
    }

    private static List<JsonNode> anonymousAccessLines() {
        return CaddyCapture.lines("access.log").stream().map(CaddyCapture::tree).filter(l -> l.path("user_id").asText().isEmpty()).toList();
    }

    private static LatencyAggregateRecord anonymousWindow(PipelineHarness p) {
        return p.latestByGroup().get("anonymous@" + WINDOW);
    }

    @Test
    void windowsAreAssignedByLogTimeNotByArrival() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(at(HEALTH, WINDOW + 70_000), at(HEALTH, WINDOW + 10_000), at(HEALTH, WINDOW + 20_000));
            Map<String, LatencyAggregateRecord> latest = p.latestByGroup();
            assertThat(latest.get("anonymous@" + WINDOW).getCount()).isEqualTo(2);
            assertThat(latest.get("anonymous@" + (WINDOW + 60_000)).getCount()).isEqualTo(1);
            assertThat(latest.get("anonymous@" + WINDOW).getWindowEndMs()).isEqualTo(WINDOW + 60_000);
        }
    }

    @Test
    void aLateLineWithinTheGracePeriodCountsInItsWindow() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(at(HEALTH, WINDOW + 60_000 + 29_000), at(HEALTH, WINDOW + 5_000));
            assertThat(p.latestByGroup().get("anonymous@" + WINDOW).getCount()).isEqualTo(1);
            assertThat(p.deadLetters()).isEmpty();
        }
    }

    @Test
    void aLineAfterTheGracePeriodIsDeadLetteredWithAReason() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(at(HEALTH, WINDOW + 1_000), at(HEALTH, WINDOW + 60_000 + 30_000), at(HEALTH, WINDOW + 5_000));
            assertThat(p.latestByGroup().get("anonymous@" + WINDOW).getCount()).isEqualTo(1);
            assertThat(p.spans()).hasSize(3);
            var dead = p.deadLetters();
            assertThat(dead).hasSize(1);
            assertThat(DeadLetterHeaders.text(dead.get(0).headers(), DeadLetterHeaders.REASON)).isEqualTo("late");
            assertThat(DeadLetterHeaders.text(dead.get(0).headers(), DeadLetterHeaders.STAGE)).isEqualTo("aggregate");
            assertThat(new String(dead.get(0).value(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"group\":\"anonymous\"", "\"route\":\"/health\"");
        }
    }

    @Test
    void errorsDenialsAndBytesAreCounted() {
        List<JsonNode> lines = anonymousAccessLines();
        long errors = lines.stream().filter(l -> l.get("status").asInt() >= 500).count();
        long denied = lines.stream().filter(l -> l.get("status").asInt() == 401 || l.get("status").asInt() == 403).count();
        long bytes = lines.stream().mapToLong(l -> l.get("size").asLong()).sum();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines.stream().map(CaddyCapture::write).toList());
            LatencyAggregateRecord window = anonymousWindow(p);
            assertThat(window.getCount()).isEqualTo(lines.size());
            assertThat(window.getErrors()).isEqualTo(errors);
            assertThat(window.getDenied()).isEqualTo(denied);
            assertThat(window.getBytes()).isEqualTo(bytes);
        }
    }

    @Test
    void misfiresAndSloBreachesAreCountedByKind() {
        List<JsonNode> lines = anonymousAccessLines();
        // the policy below, evaluated here by hand: anonymous may GET /public/** and /health, nothing else
        long overPermissive = lines.stream().filter(l -> !allowed(l) && !edgeDenied(l)).count();
        long overRestrictive = lines.stream().filter(l -> allowed(l) && edgeDenied(l)).count();
        long slow = lines.stream().filter(l -> l.get("duration").decimalValue().compareTo(new BigDecimal("0.100")) > 0).count();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.policy("anonymous", 100L, List.of("GET /public/**", "GET /health"), List.of());
            p.sendAll(lines.stream().map(CaddyCapture::write).toList());
            LatencyAggregateRecord window = anonymousWindow(p);
            assertThat(window.getOverPermissive()).isEqualTo(overPermissive).isPositive();
            assertThat(window.getOverRestrictive()).isEqualTo(overRestrictive);
            assertThat(window.getMisfires()).isEqualTo(overPermissive + overRestrictive);
            assertThat(window.getSloBreaches()).isEqualTo(slow).isPositive();
        }
    }

    private static boolean allowed(JsonNode line) {
        String method = line.path("request").path("method").asText();
        String uri = line.path("request").path("uri").asText();
        if (uri.startsWith("http://")) {
            // absolute-form target, as a proxy client sends it: the path starts after the authority
            uri = uri.substring(uri.indexOf('/', "http://".length()));
        }
        String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
        return method.equals("GET") && (path.startsWith("/public/") || path.equals("/public") || path.equals("/health"));
    }

    private static boolean edgeDenied(JsonNode line) {
        int status = line.get("status").asInt();
        return status == 401 || status == 403;
    }

    @Test
    void quantilesAreWithinTheSketchsOnePercentOfTheExactOnes() {
        List<JsonNode> lines = anonymousAccessLines();
        List<Double> ms = new ArrayList<>(lines.stream().map(l -> l.get("duration").decimalValue().doubleValue() * 1000).toList());
        ms.sort(Comparator.naturalOrder());
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines.stream().map(CaddyCapture::write).toList());
            var latency = anonymousWindow(p).getLatencyMs();
            assertThat(latency.getMin()).isCloseTo(ms.get(0), within(1e-6));
            assertThat(latency.getMax()).isCloseTo(ms.get(ms.size() - 1), within(1e-6));
            assertThat(latency.getMean()).isCloseTo(ms.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), within(1e-6));
            assertWithinOnePercent(latency.getP50(), exact(ms, 0.5));
            assertWithinOnePercent(latency.getP90(), exact(ms, 0.9));
            assertWithinOnePercent(latency.getP95(), exact(ms, 0.95));
            assertWithinOnePercent(latency.getP99(), exact(ms, 0.99));
            assertWithinOnePercent(latency.getP999(), exact(ms, 0.999));
        }
    }

    /** The lower quantile DDSketch guarantees against: the value of rank floor(q (n - 1)). */
    private static double exact(List<Double> sorted, double q) {
        return sorted.get((int) Math.floor(q * (sorted.size() - 1)));
    }

    private static void assertWithinOnePercent(double estimate, double exact) {
        assertThat(estimate).isCloseTo(exact, within(exact * LatencyWindow.RELATIVE_ACCURACY + 1e-9));
    }

    @Test
    void theSketchOnTheTopicMergesWithoutLosingCounts() throws Exception {
        List<String> lines = CaddyCapture.lines("access.log");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines);
            com.datadoghq.sketch.ddsketch.DDSketch merged = null;
            long count = 0;
            for (LatencyAggregateRecord window : p.latestByGroup().values()) {
                var proto = com.datadoghq.sketch.ddsketch.proto.DDSketch.parseFrom(window.getSketch());
                var sketch = DDSketchProtoBinding.fromProto(UnboundedSizeDenseStore::new, proto);
                if (merged == null) {
                    merged = sketch;
                } else {
                    merged.mergeWith(sketch);
                }
                count += window.getCount();
            }
            assertThat(merged.getCount()).isEqualTo((double) lines.size()).isEqualTo((double) count);
        }
    }

    @Test
    void eachWindowKeepsItsSlowestRequestsAsExemplars() {
        List<JsonNode> lines = anonymousAccessLines();
        List<Double> slowest = lines.stream().map(l -> l.get("duration").decimalValue().doubleValue() * 1000)
                .sorted(Comparator.reverseOrder()).limit(5).toList();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines.stream().map(CaddyCapture::write).toList());
            List<Exemplar> exemplars = anonymousWindow(p).getExemplars();
            assertThat(exemplars).extracting(Exemplar::getDurationMs).usingElementComparator((a, b) -> Math.abs(a - b) < 1e-6 ? 0 : Double.compare(a, b))
                    .containsExactlyElementsOf(slowest);
            var spanTraceIds = p.spans().stream().map(s -> java.util.HexFormat.of().formatHex(s.getTraceId().toByteArray())).toList();
            assertThat(spanTraceIds).containsAll(exemplars.stream().map(Exemplar::getTraceId).toList());
        }
    }

    @Test
    void routesOfAGroupAreAggregatedApart() {
        List<JsonNode> lines = anonymousAccessLines();
        long health = lines.stream().filter(l -> l.path("request").path("uri").asText().equals("/health")).count();
        long broken = lines.stream().filter(l -> l.path("request").path("uri").asText().equals("/broken/thing")).count();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines.stream().map(CaddyCapture::write).toList());
            Map<String, LatencyAggregateRecord> routes = p.latestByRoute();
            assertThat(routes.get("anonymous /health@" + WINDOW).getCount()).isEqualTo(health);
            assertThat(routes.get("anonymous /broken/thing@" + WINDOW).getErrors()).isEqualTo(broken);
            assertThat(routes.values().stream().mapToLong(LatencyAggregateRecord::getCount).sum()).isEqualTo(lines.size());
        }
    }

    @Test
    void finalOnlyModeWritesEachWindowOnceWhenItCloses() {
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.window.emit", "final"))) {
            p.send(at(HEALTH, WINDOW + 1_000), at(HEALTH, WINDOW + 2_000), at(HEALTH, WINDOW + 60_000 + 10_000));
            assertThat(p.byGroupUpdates()).isEmpty();
            p.send(at(HEALTH, WINDOW + 60_000 + 30_000));
            assertThat(p.byGroupUpdates()).singleElement().satisfies(w -> {
                assertThat(w.getWindowStartMs()).isEqualTo(WINDOW);
                assertThat(w.getCount()).isEqualTo(2);
            });
        }
    }

    @Test
    void updateModeWritesTheWindowAsItFills() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(at(HEALTH, WINDOW + 1_000), at(HEALTH, WINDOW + 2_000));
            assertThat(p.byGroupUpdates()).extracting(LatencyAggregateRecord::getCount).containsExactly(1L, 2L);
        }
    }

    @Test
    void aGroupsWindowIsWrittenOncePerFlushNotOncePerRoute() {
        String page = access(request("GET", "/static/index.html", 200));
        String teapot = access(request("GET", "/teapot", 418));
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendWithinOneCommit(at(HEALTH, WINDOW + 1_000), at(page, WINDOW + 2_000), at(teapot, WINDOW + 3_000), at(HEALTH, WINDOW + 4_000));
            assertThat(p.byRouteUpdates()).hasSize(3);
            assertThat(p.byGroupUpdates()).singleElement().satisfies(w -> assertThat(w.getCount()).isEqualTo(4));
        }
    }

    @Test
    void eachCommitWritesThePartialWindowsItsRequestsChangedToTheirChangelog() {
        // the test driver commits after every input record; a crash between a commit and the next flush of the partial
        // windows restores them from this changelog, so a commit whose requests are not in it would lose them
        try (PipelineHarness p = PipelineHarness.start()) {
            var access = p.driver().createInputTopic("caddy.access", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
            var changelog = p.driver().createOutputTopic(PARTIALS_CHANGELOG, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
            access.pipeInput(at(HEALTH, WINDOW + 1_000).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            access.pipeInput(at(HEALTH, WINDOW + 2_000).getBytes(java.nio.charset.StandardCharsets.UTF_8));

            assertThat(changelog.readValuesToList()).extracting(state -> LatencyWindowSerde.read(PARTIALS_CHANGELOG, state).count)
                    .containsExactly(1L, 2L);
        }
    }

    @Test
    void theLastPartialOfAGroupsWindowInAFlushSaysSoAsMergersOfEarlierVersionsExpect() {
        String page = access(request("GET", "/static/index.html", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            var partials = p.driver().createOutputTopic(REPARTITION, Serdes.String().deserializer(), LatencyWindowSerde.create().deserializer());
            p.sendWithinOneCommit(at(HEALTH, WINDOW + 1_000), at(page, WINDOW + 2_000));
            List<String> headers = partials.readRecordsToList().stream()
                    .map(r -> r.headers().toArray()[0].key()).toList();
            assertThat(headers).containsExactlyInAnyOrder("caddy.partial.more-of-group-window", "caddy.partial.last-of-group-window");
        }
    }

    @Test
    void aPartialThatDoesNotSayWhetherMoreFollowWritesItsGroupsWindowAsEarlierVersionsDid() {
        // an instance of a version before the header, during a rolling upgrade: its partials carry no header at all
        LatencyWindow partial = new LatencyWindow().add(new LatencyObservation("anonymous", "/health", 532_600, 200, 12, null, false,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"), 4);
        try (PipelineHarness p = PipelineHarness.start()) {
            p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                            LatencyWindowSerde.create().serializer())
                    .pipeInput(new TestRecord<>(new WindowKey("anonymous", "/health", WINDOW).encode(), partial, new RecordHeaders(),
                            Instant.ofEpochMilli(WINDOW + 1_000)));
            assertThat(p.byRouteUpdates()).singleElement().satisfies(w -> assertThat(w.getCount()).isEqualTo(1));
            assertThat(p.byGroupUpdates()).singleElement().satisfies(w -> assertThat(w.getCount()).isEqualTo(1));
        }
    }
}
