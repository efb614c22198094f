package dev.caddylightstep.deploy;

import dev.caddylightstep.testing.FatalFailures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.io.IOException;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metric names that deploy/monitoring's alert rules and Grafana dashboard query exist on /metrics of a
 * running application: both roles, on a real broker, after it processed real Caddy lines and forwarded their
 * spans to a local OTLP receiver, and closed windows of a group whose policy sets both SLO targets (the series of a
 * group and of its SLOs exist only then). A broker of its own: the queries select topic="caddy.access" and
 * "caddy.spans", the default names, which the classes on the shared broker leave alone.
 */
class DeployMetricsDriftTest {
    /** How many times the recent lines are sent: each time, the tasks send the group's task a partial window per route. */
    private static final int RECENT_ROUNDS = 3;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedKafka kafka;
    private static OtlpReceiver receiver;
    private static Application app;
    private static Set<String> exposed;
    private static List<String> samples;

    @TempDir
    static Path stateDir;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.builder().build().start();
        receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
        Map<String, String> raw = new HashMap<>();
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", stateDir.toString());
        raw.put("commit.interval.ms", "200");
        raw.put("caddy.http.port", "0");
        raw.put("caddy.window.grace", "10m");
        Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), raw);
        PipelineConfig config = PipelineConfig.from(settings);
        Topics topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), 2, (short) 1));
        TableLoader.load(config.kafka(), topics.identities(), List.of(new Identity("alice", "engineering", "acme", List.of())), Identity::id);
        // both targets, so that the group has a latency SLO and an availability SLO; some of alice's requests take 120 ms and more
        TableLoader.load(config.kafka(), topics.policies(), List.of(new Policy("engineering",
                List.of(AccessRule.parse("* /api/**"), AccessRule.parse("GET /admin/**")), List.of(), 100L, 0.99, 0.999, null)), Policy::group);
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        app = new Application(Application.Role.ALL, config, forwarding, ExportTarget.from(settings, forwarding), HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
        long now = System.currentTimeMillis();
        List<String> lines = CaddyCapture.lines("access.log");
        String bootstrap = kafka.bootstrapServers();
        // the series of a group and of its SLOs come from closed windows: the lines of 20 minutes ago make windows that
        // the lines of now close (past caddy.window.grace). The old lines are read first, so none of them is late; the
        // recent ones come in rounds, so that the group's task gets enough partial windows of the new time to close the old
        TopicRecords.produce(bootstrap, topics.access().name(), loggedAt(lines, now - Duration.ofMinutes(20).toMillis()));
        receiver.awaitSpans(lines.size(), Duration.ofSeconds(90));
        for (int round = 1; round <= RECENT_ROUNDS; round++) {
            TopicRecords.produce(bootstrap, topics.access().name(), loggedAt(lines, now - (RECENT_ROUNDS - round) * 1000L));
            receiver.awaitSpans((1 + round) * lines.size(), Duration.ofSeconds(90));
        }
        // one dead letter: the per-reason dead-letter sensors exist only once a line was dead-lettered
        TopicRecords.produce(bootstrap, topics.access().name(), List.of("this line is not JSON".getBytes(StandardCharsets.UTF_8)));
        // the pipeline's own sensors and the task-level metrics are picked up every 5 s once they exist; the
        // forwarder's consumer metrics per partition only at Micrometer's default refresh, after a minute
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String exposition = scrape();
            // the dead-letter sensor is made by the line that failed, which may come after the accepted ones were counted
            return exposition.contains("kafka_stream_caddy_lightstep_lines_accepted_total")
                    && exposition.contains("kafka_stream_caddy_lightstep_lines_dead_lettered_total");
        });
        await("the series of the group's latest closed window and of its SLOs").atMost(Duration.ofSeconds(60)).until(() -> {
            String exposition = scrape();
            return exposition.contains("caddy_group_window_end_seconds{") && exposition.contains("caddy_slo_burn_rate{");
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

    private static List<byte[]> loggedAt(List<String> lines, long timeMs) {
        BigDecimal ts = BigDecimal.valueOf(timeMs).movePointLeft(3);
        return lines.stream().map(l -> CaddyCapture.withField(l, "ts", ts).getBytes(StandardCharsets.UTF_8)).toList();
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

    /**
     * Every name is on /metrics or recorded by alerts.yaml, and every label="value" has a sample: of its metric, or, for
     * a recorded series, of a metric its rule reads.
     */
    private static void assertExposed(List<String> exprs) {
        Map<String, List<String>> recorded = MonitoringFiles.recordedFrom();
        List<String> names = exprs.stream().flatMap(e -> PromQl.metricNames(e).stream()).distinct().toList();
        assertThat(names).isNotEmpty();
        assertThat(names.stream().filter(name -> !recorded.containsKey(name)))
                .allSatisfy(name -> assertThat(exposed).as("metric names on /metrics").contains(name));
        List<PromQl.Matcher> matchers = exprs.stream().flatMap(e -> PromQl.equalityMatchers(e).stream()).distinct().toList();
        assertThat(matchers).allSatisfy(m -> {
            List<String> sources = recorded.getOrDefault(m.metric(), List.of(m.metric()));
            assertThat(samples).as("a sample of " + m + (recorded.containsKey(m.metric()) ? ", recorded from " + sources : ""))
                    .anyMatch(line -> sources.stream().anyMatch(source -> new PromQl.Matcher(source, m.label(), m.value()).matches(line)));
        });
    }

    @Test
    void everyMetricAndLabelTheAlertRulesQueryIsExposed() {
        assertExposed(MonitoringFiles.rules().stream().flatMap(rule -> rule.queries().stream()).toList());
    }

    @Test
    void everyMetricAndLabelTheGrafanaDashboardQueriesIsExposed() throws IOException {
        assertExposed(MonitoringFiles.dashboardQueries());
    }

    @Test
    void everyLabelTheDashboardsVariablesListIsOnItsMetric() throws IOException {
        List<String> queries = MonitoringFiles.variableQueries();
        assertThat(queries).isNotEmpty();
        assertThat(queries).allSatisfy(query -> {
            Matcher labelValues = MonitoringFiles.LABEL_VALUES.matcher(query);
            assertThat(labelValues.matches()).as("label_values(METRIC, LABEL): " + query).isTrue();
            List<String> metrics = PromQl.metricNames(labelValues.group(1));
            String label = labelValues.group(2) + "=\"";
            assertThat(samples).as("a sample of " + metrics + " with the label " + labelValues.group(2))
                    .anyMatch(line -> metrics.stream().anyMatch(m -> line.startsWith(m + "{")) && line.contains(label));
        });
    }

    @Test
    void theNameExtractionFindsMetricsAndNothingElse() {
        assertThat(PromQl.metricNames("sum by (group) (rate(caddy_forward_spans_exported_total{job=\"x\"}[5m])) "
                + "/ on() group_left max_over_time(kafka_consumer_fetch_manager_records_lag_max[10m]) > 0.5"))
                .containsExactly("caddy_forward_spans_exported_total", "kafka_consumer_fetch_manager_records_lag_max");
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le) (rate(caddy_forward_export_latency_seconds_bucket[5m])))"))
                .containsExactly("caddy_forward_export_latency_seconds_bucket");
        assertThat(PromQl.metricNames("max by (group, slo) (group_slo:caddy_x:newest{window=\"1h\"}) > 14.4 and on (instance, group) "
                + "(y_seconds == on (group) group_left () max by (group) (y_seconds))"))
                .containsExactly("group_slo:caddy_x:newest", "y_seconds");
        assertThat(PromQl.equalityMatchers("sum(x_total{topic=\"caddy.spans\", id!=\"a\", area = \"heap\"})"))
                .containsExactly(new PromQl.Matcher("x_total", "topic", "caddy.spans"), new PromQl.Matcher("x_total", "area", "heap"));
    }
}
