package dev.caddylightstep.http;

import dev.caddylightstep.testing.FatalFailures;
import static dev.caddylightstep.testing.browser.DumpedDom.cellText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.browser.DumpedDom;
import dev.caddylightstep.testing.browser.HeadlessChromium;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

/** The HTTP side of a running application on a real broker: health, metrics, queries and the dashboard in Chromium. */
@ExtendWith(SharedBroker.class)
class ApplicationHttpTest {
    private static final String HOSTILE_GROUP = "<img src=x onerror=alert(1)>";
    private static final String HOSTILE_PATH = "/<script>alert(1)</script>";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedKafka kafka;
    private static Application app;
    private static Topics topics;
    @TempDir
    static Path stateDir;
    private static long minute;

    @BeforeAll
    static void start(EmbeddedKafka shared) throws Exception {
        kafka = shared;
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("application-http"));
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", stateDir.toString());
        raw.put("commit.interval.ms", "200");
        raw.put("caddy.http.port", "0");
        raw.put("caddy.window.grace", "10m");
        raw.put("caddy.dashboard.trace-url", "https://app.lightstep.com/demo/trace?trace_id={trace_id}");
        Settings settings = Settings.of(raw);
        PipelineConfig config = PipelineConfig.from(settings);
        topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), 2, (short) 1));
        // bob's group is named as an attacker would name it: the dashboard must show it as text
        TableLoader.load(config.kafka(), topics.identities(), List.of(
                new Identity("alice", "engineering", "acme", List.of()), new Identity("bob", HOSTILE_GROUP, null, List.of())), Identity::id);
        app = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(settings), Optional.empty(), HttpSettings.from(settings), FatalFailures.END_THE_FORK);
        app.start();
        minute = System.currentTimeMillis() / 60_000 * 60_000;
        List<String> lines = new java.util.ArrayList<>(CaddyCapture.lines("access.log"));
        // a request path an attacker chose, as Caddy logs it
        lines.add(CaddyCapture.withRequestField(CaddyCapture.access(CaddyCapture.request("GET", "/health", 200)), "uri", HOSTILE_PATH));
        send(lines);
        await().atMost(Duration.ofSeconds(60)).until(() -> total(windows("/api/windows")) == lines.size());
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    /** The capture's lines, moved into the current minute so that the dashboard shows them as new. */
    private static void send(List<String> lines) {
        TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(), lines.stream()
                .map(l -> CaddyCapture.withField(l, "ts", BigDecimal.valueOf(minute + 1000).movePointLeft(3)))
                .map(l -> l.getBytes(StandardCharsets.UTF_8)).toList());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode windows(String path) throws Exception {
        return AggregateJson.JSON.readTree(get(path).body());
    }

    /** The requests in these windows; -1 for an answer that is not windows (503 while the stores open). */
    private static long total(JsonNode windows) {
        if (!windows.isArray()) {
            return -1;
        }
        long sum = 0;
        for (JsonNode w : windows) {
            sum += w.get("count").asLong();
        }
        return sum;
    }

    private static long countOf(String group) throws Exception {
        for (JsonNode w : windows("/api/windows")) {
            if (w.get("group").asText().equals(group) && w.get("window_start_ms").asLong() == minute) {
                return w.get("count").asLong();
            }
        }
        return 0;
    }

    @Test
    void isLiveAndReadyOnceTheStreamsRun() throws Exception {
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsAreInPrometheusFormat() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/metrics").body().contains("kafka_stream_caddy_lightstep_lines_accepted_total"));
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(metrics.body()).contains("kafka_stream_caddy_lightstep_lines_accepted_total", "kafka_stream_thread_commit_total",
                "jvm_memory_used_bytes");
    }

    @Test
    void aGroupsWindowsAreQueriedByName() throws Exception {
        JsonNode engineering = windows("/api/windows/engineering");
        assertThat(engineering).isNotEmpty();
        assertThat(engineering.get(0).get("group").asText()).isEqualTo("engineering");
        long aliceLines = CaddyCapture.all("access.log", CaddyCapture.user("alice")).size();
        assertThat(total(engineering)).isEqualTo(aliceLines);
    }

    @Test
    void aGroupsRoutesAddUpToTheGroup() throws Exception {
        assertThat(total(windows("/api/windows/engineering/routes"))).isEqualTo(total(windows("/api/windows/engineering")));
    }

    @Test
    void groupNamesAreDecodedFromThePath() throws Exception {
        String encoded = java.net.URLEncoder.encode(HOSTILE_GROUP, StandardCharsets.UTF_8).replace("+", "%20");
        JsonNode windows = windows("/api/windows/" + encoded);
        assertThat(windows).isNotEmpty();
        assertThat(windows.get(0).get("group").asText()).isEqualTo(HOSTILE_GROUP);
    }

    @Test
    void listensOnLoopbackOnlyUnlessConfiguredOtherwise() throws Exception {
        java.net.InetAddress external = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> !a.isLoopbackAddress() && a instanceof java.net.Inet4Address).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(external != null, "this machine has no address but loopback");
        try (java.net.Socket socket = new java.net.Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> socket.connect(new java.net.InetSocketAddress(external, app.httpPort()), 2000))
                    .isInstanceOf(java.net.ConnectException.class);
        }
    }

    @Test
    void onlyGetIsAnswered() throws Exception {
        var post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/api/windows"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void theDashboardShowsTheGroupsOfTheInputAndUpdatesWithNewLines() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.assumeInstalled();
        URI page = URI.create("http://127.0.0.1:" + app.httpPort() + "/");
        DumpedDom before = new DumpedDom(chromium.dumpDom(page, Duration.ofMillis(3000)));
        long engineering = countOf("engineering");
        assertThat(before.rowWithCell("group", "engineering")).hasValueSatisfying(row -> assertThat(cellText(row, "count")).isEqualTo(Long.toString(engineering)));
        assertThat(before.rowWithCell("group", "anonymous")).isPresent();

        send(CaddyCapture.all("access.log", CaddyCapture.user("alice")));
        await().atMost(Duration.ofSeconds(30)).until(() -> countOf("engineering") == 2 * engineering);
        DumpedDom after = new DumpedDom(chromium.dumpDom(page, Duration.ofMillis(3000)));
        assertThat(after.rowWithCell("group", "engineering")).hasValueSatisfying(row -> assertThat(cellText(row, "count")).isEqualTo(Long.toString(2 * engineering)));
        chromium.screenshot(page, Path.of("target", "dashboard-live.png"), 1400, 1000, Duration.ofMillis(3000));
        assertThat(Files.size(Path.of("target", "dashboard-live.png"))).isGreaterThan(10_000);
    }

    @Test
    void theDashboardRendersHostileNamesFromTheLogAsText() {
        HeadlessChromium chromium = HeadlessChromium.assumeInstalled();
        DumpedDom dom = new DumpedDom(chromium.dumpDom(URI.create("http://127.0.0.1:" + app.httpPort() + "/#group=anonymous"), Duration.ofMillis(3000)));
        assertThat(dom.startTags("img")).isEmpty();
        assertThat(dom.html()).contains("&lt;img src=x onerror=alert(1)&gt;").contains("/&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(dom.attributeValues("<script", "src")).containsExactly("uplot.iife.min.js", "app.js");
    }
}
