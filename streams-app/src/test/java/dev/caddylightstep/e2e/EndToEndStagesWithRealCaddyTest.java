package dev.caddylightstep.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.cli.ShipCommand;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.connectors.CaddyProcess;
import dev.caddylightstep.connectors.RecipeFiles;
import dev.caddylightstep.connectors.Upstream;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.StageSummary;
import dev.caddylightstep.testing.FatalFailures;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.topology.Topics;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 23 with real parts only: Debian's Caddy runs connectors/caddy/stages.Caddyfile in front of a backend that
 * sleeps known amounts and says so in Server-Timing; the built-in shipper, a real broker, the application and a local
 * OTLP receiver. Caddy's own times are read back from the access log it wrote, the backend's from what the test asked
 * of it. Skipped where caddy is not installed.
 */
@ExtendWith(SharedBroker.class)
class EndToEndStagesWithRealCaddyTest {
    /** A second Server-Timing header: the database timed twice under two spellings of its name, an entry with no number, one with no duration. */
    private static final String EXTRA_TIMING = "DB;dur=2.5, bogus;dur=abc, miss";
    private static final long WINDOW_MS = 60_000;
    /** The windows' DDSketch: 1% relative accuracy. */
    private static final double SKETCH_ACCURACY = 0.01;

    @TempDir
    Path dir;

    /**
     * One request the test sends.
     *
     * @param backend the Server-Timing durations the backend reports, by stage name (a name timed twice summed)
     * @param skipped the backend's malformed entries
     */
    private record Sent(String method, String uri, int status, boolean proxied, Map<String, Double> backend, int skipped) {
        String path() {
            int query = uri.indexOf('?');
            return query < 0 ? uri : uri.substring(0, query);
        }

        /** How long the backend slept: its db and cache parameters. */
        int sleptMs() {
            String query = URI.create(uri).getQuery();
            int slept = 0;
            for (String parameter : query == null ? new String[0] : query.split("&")) {
                if (parameter.startsWith("db=") || parameter.startsWith("cache=")) {
                    slept += Integer.parseInt(parameter.substring(parameter.indexOf('=') + 1));
                }
            }
            return slept;
        }
    }

    private static List<Sent> traffic() {
        List<Sent> sent = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            sent.add(new Sent("GET", "/api/orders/" + i + "?db=" + 7 * i + "&cache=" + i % 3, 200, true, Map.of("db", 7.0 * i, "cache", i % 3 * 1.0), 0));
        }
        for (int i = 1; i <= 2; i++) {
            sent.add(new Sent("GET", "/api/status/500/" + i + "?db=3&cache=1", 500, true, Map.of("db", 3.0, "cache", 1.0), 0));
            sent.add(new Sent("GET", "/api/status/404/" + i + "?db=1&cache=0", 404, true, Map.of("db", 1.0, "cache", 0.0), 0));
        }
        for (int i = 1; i <= 4; i++) {
            sent.add(new Sent("GET", "/api/reports/" + i + "?db=4&cache=1&extra=" + URLEncoder.encode(EXTRA_TIMING, StandardCharsets.UTF_8),
                    200, true, Map.of("db", 6.5, "cache", 1.0), 1));
        }
        for (int i = 1; i <= 3; i++) {
            sent.add(new Sent("POST", "/api/carts/" + i + "?db=2&cache=2", 200, true, Map.of("db", 2.0, "cache", 2.0), 0));
            sent.add(new Sent("GET", "/api/plain/" + i, 200, true, Map.of(), 0));
            sent.add(new Sent("GET", "/health", 200, false, Map.of(), 0));
        }
        return sent;
    }

    /** What Caddy logged of one request. */
    private record Logged(String path, double durationMs, double upstreamMs, long tsMillis) {
        static Logged of(String line) {
            JsonNode tree = CaddyCapture.tree(line);
            String uri = tree.path("request").path("uri").asText();
            double upstream = Double.NaN;
            for (JsonNode value : tree.path("resp_headers").path("Server-Timing")) {
                if (value.asText().startsWith("caddy-upstream;dur=")) {
                    upstream = Double.parseDouble(value.asText().substring("caddy-upstream;dur=".length()));
                }
            }
            return new Logged(uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri,
                    tree.get("duration").decimalValue().movePointRight(3).doubleValue(), upstream,
                    tree.get("ts").decimalValue().movePointRight(3).longValue());
        }
    }

    @Test
    void everyProxiedRequestHasItsUpstreamSpanWithCaddysTimeAndTheWindowsStagesEqualARecount(EmbeddedKafka kafka) throws Exception {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path accessLog = Files.createFile(logs.resolve("access.log"));
        List<Sent> sent = traffic();
        try (Upstream upstream = Upstream.start();
             OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("end-to-end-stages"));
            raw.put("bootstrap.servers", kafka.bootstrapServers());
            raw.put("state.dir", dir.resolve("state").toString());
            raw.put("commit.interval.ms", "200");
            raw.put("caddy.http.port", "0");
            Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), raw);
            PipelineConfig config = PipelineConfig.from(settings);
            Topics topics = Topics.of(config.topics());
            kafka.createTopics(TopicLayout.topics(config.topics(), 3, (short) 1));

            ShipCommand ship = new ShipCommand();
            Thread shipping = new Thread(() -> new CommandLine(ship).execute("--file", accessLog.toString(), "--from-beginning",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topics.access().name(),
                    "--set", "caddy.topic.access-dlq=" + topics.accessDeadLetters().name(), "--progress-interval", "0"), "e2e-stages-shipper");
            shipping.setDaemon(true);
            shipping.start();

            try (Application app = new Application(Application.Role.ALL, config, ForwarderSettings.from(settings),
                    ExportTarget.from(settings, ForwarderSettings.from(settings)), HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
                 CaddyProcess caddy = CaddyProcess.start(dir.resolve("caddy"), RecipeFiles.read("caddy/stages.Caddyfile"), 1,
                         ports -> Map.of("CADDY_ADMIN", "off", "CADDY_HTTP_PORT", Integer.toString(ports.get(0)),
                                 "CADDY_LOG_DIR", logs.toString(), "CADDY_UPSTREAM", upstream.address()))) {
                int httpPort = caddy.ports().get(0);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                for (Sent request : sent) {
                    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + request.uri()))
                            .timeout(Duration.ofSeconds(30))
                            .method(request.method(), request.method().equals("POST") ? HttpRequest.BodyPublishers.ofString("{\"sku\":42}")
                                    : HttpRequest.BodyPublishers.noBody());
                    assertThat(client.send(builder.build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                            .as(request.method() + " " + request.uri()).isEqualTo(request.status());
                }

                long proxied = sent.stream().filter(Sent::proxied).count();
                List<ReceivedSpan> spans = receiver.awaitSpans((int) (sent.size() + proxied), Duration.ofSeconds(120));
                Thread.sleep(2000);
                assertThat(receiver.spans()).hasSize((int) (sent.size() + proxied));
                List<Logged> lines = Files.readAllLines(accessLog).stream().filter(l -> !l.isBlank()).map(Logged::of).toList();
                assertThat(lines).hasSize(sent.size());
                checkSpans(sent, spans, lines.stream().filter(l -> !l.path().equals("/health"))
                        .collect(Collectors.toMap(Logged::path, Function.identity())));
                checkWindows(sent, lines, kafka, topics);
                assertThat(ship.metrics().lines()).isEqualTo(sent.size());
            } finally {
                ship.stop();
            }
        }
    }

    private static void checkSpans(List<Sent> sent, List<ReceivedSpan> spans, Map<String, Logged> logged) {
        List<ReceivedSpan> servers = spans.stream().filter(s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER).toList();
        assertThat(servers).hasSize(sent.size());
        for (Sent request : sent.stream().filter(s -> !s.proxied()).toList()) {
            assertThat(servers).filteredOn(s -> text(s, "url.path").equals(request.path())).allSatisfy(server -> {
                assertThat(spans).noneMatch(s -> s.parentSpanIdHex().equals(server.spanIdHex()));
                assertThat(server.attribute("edge.stage.upstream_ms")).isEmpty();
                assertThat(server.attribute("edge.stage.edge_ms")).isEmpty();
            });
        }
        for (Sent request : sent.stream().filter(Sent::proxied).toList()) {
            String what = request.method() + " " + request.uri();
            Logged line = logged.get(request.path());
            assertThat(line).as(what + " in Caddy's log").isNotNull();
            assertThat(line.upstreamMs()).as(what + ": Caddy's time to the upstream's headers covers the backend's sleep")
                    .isGreaterThanOrEqualTo(request.sleptMs());
            ReceivedSpan server = servers.stream().filter(s -> text(s, "url.path").equals(request.path())).findFirst().orElseThrow();
            List<ReceivedSpan> children = spans.stream().filter(s -> s.parentSpanIdHex().equals(server.spanIdHex())).toList();
            assertThat(children).as(what + ": its upstream span").hasSize(1);
            ReceivedSpan client = children.get(0);
            Span span = client.span();

            assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(client.name()).isEqualTo(request.method());
            assertThat(client.traceIdHex()).isEqualTo(server.traceIdHex());
            assertThat(span.getEndTimeUnixNano()).isEqualTo(server.span().getEndTimeUnixNano());
            assertThat((span.getEndTimeUnixNano() - span.getStartTimeUnixNano()) / 1e6).as(what + ": the upstream span lasts Caddy's time")
                    .isCloseTo(line.upstreamMs(), offset(0.01));
            assertThat(number(server, "edge.stage.upstream_ms")).isCloseTo(line.upstreamMs(), offset(0.01));
            assertThat(number(server, "edge.stage.edge_ms")).isCloseTo(line.durationMs() - line.upstreamMs(), offset(0.01));
            assertThat(text(client, "edge.upstream.timing")).isEqualTo("ttfb");
            assertThat(client.attribute("http.response.status_code").orElseThrow().getIntValue()).isEqualTo(request.status());

            Map<String, Double> timings = new HashMap<>();
            span.getAttributesList().stream().filter(kv -> kv.getKey().startsWith("edge.server_timing.") && !kv.getKey().endsWith(".skipped"))
                    .forEach(kv -> timings.put(kv.getKey().substring("edge.server_timing.".length()), kv.getValue().getDoubleValue()));
            assertThat(timings).as(what + ": the backend's entries").isEqualTo(request.backend());
            assertThat(client.attribute("edge.server_timing.skipped").map(AnyValue::getIntValue).orElse(0L)).isEqualTo(request.skipped());
            assertThat(server.attribute("edge.server_timing.db")).as("the backend's times are the upstream span's").isEmpty();

            boolean serverError = request.status() >= 500;
            boolean clientError = request.status() >= 400;
            assertThat(span.getStatus().getCode()).isEqualTo(clientError ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_UNSET);
            assertThat(text(client, "error.type")).isEqualTo(clientError ? Integer.toString(request.status()) : "");
            assertThat(server.span().getStatus().getCode()).isEqualTo(serverError ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_UNSET);
            assertThat(text(server, "error.type")).isEqualTo(serverError ? Integer.toString(request.status()) : "");
        }
    }

    /**
     * The windows' stages against a recount from Caddy's lines and what the backend was asked to report: the counts
     * exact, the mean and max within the sketch's 1%, each quantile within 1% of the values around its rank.
     */
    private static void checkWindows(List<Sent> sent, List<Logged> lines, EmbeddedKafka kafka, Topics topics) {
        Map<String, Sent> byPath = sent.stream().filter(Sent::proxied).collect(Collectors.toMap(Sent::path, Function.identity()));
        Map<Long, Long> expectedCounts = new TreeMap<>();
        Map<Long, Map<String, List<Double>>> expected = new TreeMap<>();
        for (Logged line : lines) {
            long windowStart = line.tsMillis() - Math.floorMod(line.tsMillis(), WINDOW_MS);
            expectedCounts.merge(windowStart, 1L, Long::sum);
            Map<String, List<Double>> stages = expected.computeIfAbsent(windowStart, w -> new TreeMap<>());
            Sent request = byPath.get(line.path());
            if (request == null) {
                continue;
            }
            double upstream = Math.min(line.upstreamMs(), line.durationMs());
            stages.computeIfAbsent("upstream", s -> new ArrayList<>()).add(upstream);
            stages.computeIfAbsent("edge", s -> new ArrayList<>()).add(Math.max(0, line.durationMs() - upstream));
            request.backend().forEach((name, millis) -> stages.computeIfAbsent(name, s -> new ArrayList<>()).add(millis));
        }
        Function<List<ConsumerRecord<byte[], byte[]>>, Map<Long, LatencyAggregateRecord>> latest = read -> {
            Map<Long, LatencyAggregateRecord> windows = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : read) {
                LatencyAggregateRecord window = topics.latencyByGroup().valueSerde().deserializer().deserialize(r.topic(), r.value());
                windows.put(window.getWindowStartMs(), window);
            }
            return windows;
        };
        Function<Map<Long, LatencyAggregateRecord>, Map<Long, Long>> counts = windows -> windows.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getCount(), Long::sum, TreeMap::new));
        Map<Long, LatencyAggregateRecord> windows = latest.apply(TopicRecords.readUntil(kafka.bootstrapServers(), topics.latencyByGroup().name(),
                read -> counts.apply(latest.apply(read)).equals(expectedCounts), Duration.ofSeconds(60)));
        assertThat(counts.apply(windows)).isEqualTo(expectedCounts);

        expected.forEach((windowStart, stages) -> {
            Map<String, StageSummary> actual = windows.get(windowStart).getStages();
            assertThat(actual.keySet()).as("stages of the window at " + windowStart).isEqualTo(stages.keySet());
            stages.forEach((name, values) -> {
                StageSummary stage = actual.get(name);
                String what = name + " in the window at " + windowStart;
                List<Double> sorted = values.stream().sorted().toList();
                assertThat(stage.getCount()).as(what).isEqualTo(values.size());
                assertThat(stage.getMax()).as(what).isCloseTo(sorted.get(sorted.size() - 1), offset(SKETCH_ACCURACY * sorted.get(sorted.size() - 1) + 1e-9));
                double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                assertThat(stage.getMean()).as(what).isCloseTo(mean, offset(SKETCH_ACCURACY * mean + 1e-9));
                assertQuantile(what + " p50", stage.getP50(), sorted, 0.50);
                assertQuantile(what + " p95", stage.getP95(), sorted, 0.95);
                assertQuantile(what + " p99", stage.getP99(), sorted, 0.99);
            });
        });
    }

    /** Within the sketch's accuracy of the values on either side of the quantile's rank, q × (n − 1). */
    private static void assertQuantile(String what, double actual, List<Double> sorted, double q) {
        double rank = q * (sorted.size() - 1);
        double below = sorted.get((int) Math.floor(rank));
        double above = sorted.get((int) Math.ceil(rank));
        assertThat(actual).as(what + " of " + sorted).isBetween(below * (1 - SKETCH_ACCURACY) - 1e-9, above * (1 + SKETCH_ACCURACY) + 1e-9);
    }

    private static double number(ReceivedSpan span, String key) {
        return span.attribute(key).orElseThrow(() -> new AssertionError(span.name() + " has no " + key)).getDoubleValue();
    }

    private static String text(ReceivedSpan span, String key) {
        return span.attribute(key).map(EndToEndStagesWithRealCaddyTest::text).orElse("");
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            default -> value.toString();
        };
    }
}
