package dev.caddylightstep.aggregate;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.capture.CaddyCapture;
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
    private static final long WINDOW_OF_HEALTH = tsOf(HEALTH) - Math.floorMod(tsOf(HEALTH), 60_000L);
    /** Where partial windows go to their group's task: the application id's, by default. */
    private static final String REPARTITION = "caddy-lightstep-latency-windows-repartition";
    private static final String PARTIALS_CHANGELOG = "caddy-lightstep-latency-partials-changelog";

    private static String at(String line, long epochMillis) {
        return CaddyCapture.withField(line, "ts", BigDecimal.valueOf(epochMillis).movePointLeft(3));
    }

    /**
     * The log moving on to a time: as many lines logged then as the clock that decides lateness in the task follows, and
     * as many more as make the partials carry it to the clock of the group's task (one partial per line and commit).
     */
    private static String[] logMovesOnTo(long epochMillis) {
        String[] lines = new String[2 * LogClock.DEPTH];
        java.util.Arrays.fill(lines, at(HEALTH, epochMillis));
        return lines;
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
            p.send(at(HEALTH, WINDOW + 1_000));
            p.send(logMovesOnTo(WINDOW + 60_000 + 30_000));
            p.send(at(HEALTH, WINDOW + 5_000));
            assertThat(p.latestByGroup().get("anonymous@" + WINDOW).getCount()).isEqualTo(1);
            assertThat(p.spans()).hasSize(2 * LogClock.DEPTH + 2);
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
        assertThat(estimate).isCloseTo(exact, within(exact * LatencySketch.RELATIVE_ACCURACY + 1e-9));
    }

    @Test
    void theSketchOnTheTopicMergesWithoutLosingCounts() throws Exception {
        List<String> lines = CaddyCapture.lines("access.log");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines);
            com.datadoghq.sketch.ddsketch.DDSketch merged = null;
            long count = 0;
            for (LatencyAggregateRecord window : p.latestByGroup().values()) {
                var sketch = SketchProtobuf.read(window.getSketch());
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
            p.send(at(HEALTH, WINDOW + 1_000), at(HEALTH, WINDOW + 2_000));
            p.send(logMovesOnTo(WINDOW + 60_000 + 10_000));
            assertThat(p.byGroupUpdates()).isEmpty();
            p.send(logMovesOnTo(WINDOW + 60_000 + 30_000));
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

            assertThat(changelog.readValuesToList()).extracting(state -> LatencyWindowSerde.read(PARTIALS_CHANGELOG, state).count())
                    .containsExactly(1L, 2L);
        }
    }

    @Test
    void theLastPartialOfAGroupsWindowInAFlushSaysSoAsMergersOfEarlierVersionsExpect() {
        String page = access(request("GET", "/static/index.html", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            var partials = p.driver().createOutputTopic(REPARTITION, Serdes.String().deserializer(), LatencyWindowSerde.create().deserializer());
            p.sendWithinOneCommit(at(HEALTH, WINDOW + 1_000), at(page, WINDOW + 2_000));
            List<String> headers = partials.readRecordsToList().stream().filter(r -> !r.key().equals(WindowMerge.TICK_KEY))
                    .map(r -> r.headers().toArray()[0].key()).toList();
            assertThat(headers).containsExactlyInAnyOrder("caddy.partial.more-of-group-window", "caddy.partial.last-of-group-window");
        }
    }

    @Test
    void aPartialThatDoesNotSayWhetherMoreFollowWritesItsGroupsWindowAsEarlierVersionsDid() {
        // an instance of a version before the header, during a rolling upgrade: its partials carry no header at all
        LatencyWindow partial = new LatencyWindow().add(new LatencyObservation("anonymous", "/health", 532_600, 200, 12, null, false,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", List.of()), 4, 8);
        try (PipelineHarness p = PipelineHarness.start()) {
            p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                            LatencyWindowSerde.create().serializer())
                    .pipeInput(new TestRecord<>(new WindowKey("anonymous", "/health", WINDOW).encode(), partial, new RecordHeaders(),
                            Instant.ofEpochMilli(WINDOW + 1_000)));
            assertThat(p.byRouteUpdates()).singleElement().satisfies(w -> assertThat(w.getCount()).isEqualTo(1));
            assertThat(p.byGroupUpdates()).singleElement().satisfies(w -> assertThat(w.getCount()).isEqualTo(1));
        }
    }

    /** The line's ts in epoch milliseconds. */
    private static long tsOf(String line) {
        return CaddyCapture.tree(line).get("ts").decimalValue().movePointRight(3).longValue();
    }

    /**
     * A host whose clock runs half an hour fast logs three lines among a real capture's: the windows close by the
     * log's time, not by theirs, and every real line stays in its window (on a clock that followed the latest time,
     * every line after the first of them was late).
     */
    @Test
    void threeLinesFromAFastClockLeaveEveryOtherLineInItsWindow() {
        List<String> capture = new ArrayList<>(CaddyCapture.lines("access.log"));
        capture.addAll(CaddyCapture.lines("bulk.log"));
        List<String> mixed = new ArrayList<>(capture);
        for (int at : new int[] {1_200, 600, 100}) {
            String line = capture.get(at);
            mixed.add(at, at(line, tsOf(line) + 30 * 60_000));
        }
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(mixed);
            assertThat(p.deadLetters()).isEmpty();
            assertThat(p.spans()).hasSize(mixed.size());
            Map<Long, Long> expected = new java.util.TreeMap<>();
            mixed.forEach(line -> expected.merge(tsOf(line) - Math.floorMod(tsOf(line), 60_000L), 1L, Long::sum));
            Map<Long, Long> windowed = new java.util.TreeMap<>();
            p.latestByGroup().values().forEach(w -> windowed.merge(w.getWindowStartMs(), w.getCount(), Long::sum));
            assertThat(windowed).isEqualTo(expected);
        }
    }

    /** The first line a task reads may be the skewed one: it closes nothing, whatever comes after it. */
    @Test
    void aFirstLineFromAFastClockClosesNoWindow() {
        List<String> capture = CaddyCapture.lines("access.log");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(at(capture.get(0), tsOf(capture.get(0)) + 30 * 60_000));
            p.sendAll(capture);
            assertThat(p.deadLetters()).isEmpty();
            assertThat(p.latestByGroup().values().stream().mapToLong(LatencyAggregateRecord::getCount).sum()).isEqualTo(capture.size() + 1);
        }
    }

    private static String withPath(String line, String path) {
        return CaddyCapture.withRequestField(line, "uri", path);
    }

    @Test
    void requestsPastTheRouteCapCountUnderOtherAndTheirSpansHaveNoRoute() {
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.window.max-routes", "3"))) {
            for (String word : List.of("alpha", "beta", "gamma", "delta", "epsilon", "alpha")) {
                p.send(at(withPath(HEALTH, "/wiki/" + word), WINDOW + 1_000));
            }
            Map<String, LatencyAggregateRecord> routes = p.latestByRoute();
            assertThat(routes.keySet()).containsExactlyInAnyOrder("anonymous /wiki/alpha@" + WINDOW, "anonymous /wiki/beta@" + WINDOW,
                    "anonymous /wiki/gamma@" + WINDOW, "anonymous {other}@" + WINDOW);
            assertThat(routes.get("anonymous {other}@" + WINDOW).getCount()).isEqualTo(2);
            assertThat(routes.get("anonymous /wiki/alpha@" + WINDOW).getCount()).isEqualTo(2);
            var spans = p.spans();
            assertThat(spans.get(3).getName()).isEqualTo("GET");
            assertThat(PipelineHarness.attributes(spans.get(3))).doesNotContainKey("http.route").containsEntry("url.path", "/wiki/delta");
            assertThat(spans.get(5).getName()).isEqualTo("GET /wiki/alpha");
        }
    }

    @Test
    void aRouteLongerThanAnyTemplateHasNone() {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        try (PipelineHarness p = PipelineHarness.start()) {
            var span = p.send(withPath(HEALTH, path)).onlySpan();
            assertThat(span.getName()).isEqualTo("GET");
            assertThat(PipelineHarness.attributes(span)).doesNotContainKey("http.route").containsEntry("url.path", path);
            assertThat(p.latestByRoute()).containsOnlyKeys("anonymous {other}@" + WINDOW_OF_HEALTH);
        }
    }

    /**
     * Random paths from anonymous clients, 100,000 of them within two windows: each window holds the cap's routes and
     * {other}, and the heap the pipeline holds stays that of the cap: it is printed after the first 10,000 paths and
     * after the last, for the record (a figure, not an assertion: this is no benchmark). What the test driver keeps of
     * each topic is read and dropped as it comes, so that the heap holds the pipeline's state, not the test's copies.
     */
    @Test
    void aHundredThousandDistinctPathsStayWithinTheRouteCap() {
        java.util.Random random = new java.util.Random(21);
        try (PipelineHarness p = PipelineHarness.start()) {
            var spans = p.driver().createOutputTopic("caddy.spans", Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
            var byRoute = p.driver().createOutputTopic("caddy.latency.by-route", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
            var byGroup = p.driver().createOutputTopic("caddy.latency.by-group", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
            var routeWindows = new java.util.HashMap<String, LatencyAggregateRecord>();
            var deserializer = dev.caddylightstep.topology.Topics.of(dev.caddylightstep.topics.TopicNames.DEFAULTS).latencyByRoute().valueSerde().deserializer();
            long heapAfterTenThousand = 0;
            for (int batch = 0; batch < 100; batch++) {
                String[] lines = new String[1_000];
                for (int i = 0; i < lines.length; i++) {
                    String path = "/" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + "/" + Integer.toString(random.nextInt(), 36);
                    lines[i] = at(withPath(HEALTH, path), WINDOW + (batch < 50 ? 1_000 : 61_000));
                }
                p.sendWithinOneCommit(lines);
                spans.readRecordsToList();
                byGroup.readRecordsToList();
                // the driver keeps every record of a topic nobody reads, changelogs included
                p.driver().producedTopicNames().stream().filter(topic -> topic.endsWith("-changelog"))
                        .forEach(topic -> p.driver().createOutputTopic(topic, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer())
                                .readRecordsToList());
                byRoute.readValuesToList().forEach(bytes -> {
                    LatencyAggregateRecord r = deserializer.deserialize("caddy.latency.by-route", bytes);
                    routeWindows.put(r.getRoute() + "@" + r.getWindowStartMs(), r);
                });
                if (batch == 9) {
                    heapAfterTenThousand = usedHeapKb();
                }
            }
            for (long window : new long[] {WINDOW, WINDOW + 60_000}) {
                List<LatencyAggregateRecord> ofWindow = routeWindows.values().stream().filter(r -> r.getWindowStartMs() == window).toList();
                assertThat(ofWindow).hasSize(501);
                assertThat(ofWindow.stream().mapToLong(LatencyAggregateRecord::getCount).sum()).isEqualTo(50_000);
                assertThat(ofWindow).filteredOn(r -> r.getRoute().equals("{other}")).singleElement()
                        .satisfies(r -> assertThat(r.getCount()).isEqualTo(49_500));
            }
            System.out.printf("heap used: %,d KB after 10,000 distinct paths, %,d KB after 100,000%n", heapAfterTenThousand, usedHeapKb());
        }
    }

    private static long usedHeapKb() {
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        return (runtime.totalMemory() - runtime.freeMemory()) / 1024;
    }
}
