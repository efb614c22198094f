package dev.caddylightstep.deploy;

import dev.caddylightstep.testing.FatalFailures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metric names that deploy/monitoring's alert rules and Grafana dashboard query exist on /metrics of a
 * running application: both roles, on a real broker, after it processed real Caddy lines and forwarded their
 * spans to a local OTLP receiver. A broker of its own: the queries select topic="caddy.access" and "caddy.spans", the
 * default names, which the classes on the shared broker leave alone.
 */
class DeployMetricsDriftTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedKafka kafka;
    private static OtlpReceiver receiver;
    private static Application app;
    private static Set<String> exposed;
    private static List<String> samples;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.builder().build().start();
        receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
        Map<String, String> raw = new HashMap<>();
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", Files.createTempDirectory("deploy-metrics").toString());
        raw.put("commit.interval.ms", "200");
        raw.put("caddy.http.port", "0");
        raw.put("caddy.window.grace", "10m");
        Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), raw);
        PipelineConfig config = PipelineConfig.from(settings);
        Topics topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), 2, (short) 1));
        TableLoader.load(config.kafka(), topics.identities(), List.of(new Identity("alice", "engineering", "acme", List.of())), Identity::id);
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        app = new Application(Application.Role.ALL, config, forwarding, ExportTarget.from(settings, forwarding), HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
        long now = System.currentTimeMillis();
        List<String> lines = CaddyCapture.lines("access.log");
        List<String> sent = new ArrayList<>(lines.stream().map(l -> CaddyCapture.withField(l, "ts", BigDecimal.valueOf(now).movePointLeft(3))).toList());
        // one dead letter: the per-reason dead-letter sensors exist only once a line was dead-lettered
        sent.add("this line is not JSON");
        TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(), sent.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList());
        receiver.awaitSpans(lines.size(), Duration.ofSeconds(90));
        // the pipeline's own sensors and the task-level metrics are picked up every 5 s once they exist; the
        // forwarder's consumer metrics per partition only at Micrometer's default refresh, after a minute
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String exposition = scrape();
            // the dead-letter sensor is made by the line that failed, which may come after the accepted ones were counted
            return exposition.contains("kafka_stream_caddy_lightstep_lines_accepted_total")
                    && exposition.contains("kafka_stream_caddy_lightstep_lines_dead_lettered_total");
        });
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2))
                .until(() -> scrape().contains("kafka_consumer_fetch_manager_records_lag{client_id=\"consumer-" + forwarding.groupId()));
        String exposition = scrape();
        exposed = names(exposition);
        samples = List.of(exposition.split("\n"));
        Path dump = Path.of("target", "deploy-metric-names.txt");
        Files.createDirectories(dump.getParent());
        Files.write(dump, exposed);
        Files.writeString(dump.resolveSibling("deploy-metrics.txt"), exposition);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String scrape() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Every sample name and every family named in a # TYPE line. */
    private static Set<String> names(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                int end = line.indexOf('{');
                names.add(line.substring(0, end >= 0 ? end : line.indexOf(' ')));
            }
        }
        return names;
    }

    static List<String> alertExpressions() {
        List<String> exprs = new ArrayList<>();
        for (JsonNode group : DeployFiles.documents(DeployFiles.path("monitoring/alerts.yaml")).get(0).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                exprs.add(rule.path("expr").asText());
            }
        }
        return exprs;
    }

    static List<String> dashboardExpressions() throws java.io.IOException {
        JsonNode dashboard = DeployFiles.YAML.readTree(DeployFiles.path("monitoring/grafana-dashboard.json").toFile());
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                exprs.add(variable.path("query").path("query").asText(variable.path("query").asText()));
            }
        }
        return exprs;
    }

    private static void assertExposed(List<String> exprs) {
        List<String> names = exprs.stream().flatMap(e -> PromQl.metricNames(e).stream()).distinct().toList();
        assertThat(names).isNotEmpty();
        assertThat(names).allSatisfy(name -> assertThat(exposed).as("metric names on /metrics").contains(name));
        List<PromQl.Matcher> matchers = exprs.stream().flatMap(e -> PromQl.equalityMatchers(e).stream()).distinct().toList();
        assertThat(matchers).allSatisfy(m -> assertThat(samples).as("a sample of " + m).anyMatch(m::matches));
    }

    @Test
    void everyMetricAndLabelTheAlertRulesQueryIsExposed() {
        assertExposed(alertExpressions());
    }

    @Test
    void everyMetricAndLabelTheGrafanaDashboardQueriesIsExposed() throws Exception {
        assertExposed(dashboardExpressions());
    }

    @Test
    void theNameExtractionFindsMetricsAndNothingElse() {
        assertThat(PromQl.metricNames("sum by (group) (rate(caddy_forward_spans_exported_total{job=\"x\"}[5m])) "
                + "/ on() group_left max_over_time(kafka_consumer_fetch_manager_records_lag_max[10m]) > 0.5"))
                .containsExactly("caddy_forward_spans_exported_total", "kafka_consumer_fetch_manager_records_lag_max");
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le) (rate(caddy_forward_export_latency_seconds_bucket[5m])))"))
                .containsExactly("caddy_forward_export_latency_seconds_bucket");
        assertThat(PromQl.equalityMatchers("sum(x_total{topic=\"caddy.spans\", id!=\"a\", area = \"heap\"})"))
                .containsExactly(new PromQl.Matcher("x_total", "topic", "caddy.spans"), new PromQl.Matcher("x_total", "area", "heap"));
    }
}
