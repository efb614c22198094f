package dev.caddylightstep.e2e;

import dev.caddylightstep.testing.FatalFailures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.connectors.CaddyProcess;
import dev.caddylightstep.connectors.RecipeFiles;
import dev.caddylightstep.connectors.Upstream;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.cli.ShipCommand;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import io.opentelemetry.proto.common.v1.AnyValue;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The proof with real parts only: Debian's Caddy with connectors/caddy/edge.Caddyfile (basic auth, a
 * reverse-proxied upstream that is slow or fails, 401/403/5xx, HTTP/2 over TLS with Caddy's internal CA),
 * real HTTP traffic, the built-in shipper, a real broker, the application and a local OTLP receiver. What is
 * checked is computed from the requests the test sent. Skipped where caddy is not installed.
 */
@ExtendWith(SharedBroker.class)
class EndToEndWithRealCaddyTest {
    private static final Map<String, String> PASSWORDS = Map.of("alice", "alicepw", "bob", "bobpw", "carol", "carolpw");
    private static final Map<String, String> GROUPS = Map.of("alice", "engineering", "bob", "sales");

    @TempDir
    Path dir;

    /** One request the test sends, and what the pipeline should make of it. */
    private record Sent(String method, String path, String user, String password, boolean http2, String traceparent,
                        int status, String group) {
        String traceId() {
            return traceparent == null ? null : traceparent.substring(3, 35);
        }
    }

    private static List<Sent> traffic() {
        List<Sent> sent = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            sent.add(new Sent("GET", "/api/users/" + i, "alice", "alicepw", false, null, 200, "engineering"));
            sent.add(new Sent("POST", "/api/orders", "bob", "bobpw", i % 2 == 0, null, 200, "sales"));
            sent.add(new Sent("GET", "/api/orders/" + (1000 + i) + "/items", "carol", "carolpw", true, null, 200, "unknown"));
            sent.add(new Sent("GET", "/api/users/1", null, null, false, null, 401, "anonymous"));
            sent.add(new Sent("GET", "/api/users/2", "alice", "wrong", false, null, 401, "anonymous"));
            sent.add(new Sent("GET", "/blocked/x", null, null, i % 3 == 0, null, 403, "anonymous"));
            sent.add(new Sent("GET", "/error/x", null, null, false, null, 500, "anonymous"));
            sent.add(new Sent("GET", "/api/status/503", "bob", "bobpw", false, null, 503, "sales"));
            sent.add(new Sent("GET", "/api/sleep/" + (50 * i), "alice", "alicepw", true, null, 200, "engineering"));
            sent.add(new Sent("GET", "/public/search?q=caddy&token=tok-" + i + "&api_key=k" + i, null, null, false, null, 200, "anonymous"));
            String traceparent = String.format("00-%032x-%016x-01", 0x4bf92f3577b34da6L + i, 0x00f067aa0ba902b7L + i);
            sent.add(new Sent("GET", "/api/traced/" + i, "alice", "alicepw", i % 2 == 1, traceparent, 200, "engineering"));
            sent.add(new Sent("GET", "/health", null, null, false, null, 200, "anonymous"));
        }
        return sent;
    }

    @Test
    void everyRequestBecomesOneSpanAndExactWindowsThroughRealParts(EmbeddedKafka kafka) throws Exception {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path accessLog = Files.createFile(logs.resolve("access.log"));
        try (Upstream upstream = Upstream.start();
             OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("end-to-end"));
            raw.put("bootstrap.servers", kafka.bootstrapServers());
            raw.put("state.dir", dir.resolve("state").toString());
            raw.put("commit.interval.ms", "200");
            raw.put("caddy.http.port", "0");
            Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), raw);
            PipelineConfig config = PipelineConfig.from(settings);
            Topics topics = Topics.of(config.topics());
            kafka.createTopics(TopicLayout.topics(config.topics(), 3, (short) 1));
            TableLoader.load(config.kafka(), topics.identities(), GROUPS.entrySet().stream()
                    .map(e -> new Identity(e.getKey(), e.getValue(), "acme", List.of())).toList(), Identity::id);
            TableLoader.load(config.kafka(), topics.policies(), List.of(
                    Policy.of("engineering", List.of(AccessRule.parse("GET /api/**")), List.of(), 100L)), Policy::group);

            ShipCommand ship = new ShipCommand();
            Thread shipping = new Thread(() -> new CommandLine(ship).execute("--file", accessLog.toString(), "--from-beginning",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topics.access().name(),
                    "--set", "caddy.topic.access-dlq=" + topics.accessDeadLetters().name(), "--progress-interval", "0"), "e2e-shipper");
            shipping.setDaemon(true);
            shipping.start();

            List<Sent> sent = traffic();
            try (Application app = new Application(Application.Role.ALL, config, ForwarderSettings.from(settings),
                    ExportTarget.from(settings, ForwarderSettings.from(settings)), HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
                 CaddyProcess caddy = CaddyProcess.start(dir.resolve("caddy"), RecipeFiles.read("caddy/edge.Caddyfile"), 2,
                         ports -> Map.of("CADDY_ADMIN", "off", "CADDY_HTTP_PORT", Integer.toString(ports.get(0)),
                                 "CADDY_HTTPS_PORT", Integer.toString(ports.get(1)), "CADDY_LOG_DIR", logs.toString(),
                                 "CADDY_UPSTREAM", upstream.address(), "CADDY_STORAGE", dir.resolve("storage").toString()))) {
                int httpPort = caddy.ports().get(0);
                int httpsPort = caddy.ports().get(1);
                HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trusting(dir.resolve("storage"))).build();
                for (Sent request : sent) {
                    HttpResponse<String> response = send(request.http2() ? h2 : plain, request, request.http2()
                            ? "https://localhost:" + httpsPort : "http://localhost:" + httpPort);
                    assertThat(response.statusCode()).as(request.method() + " " + request.path()).isEqualTo(request.status());
                    if (request.http2()) {
                        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                    }
                }

                List<ReceivedSpan> spans = receiver.awaitSpans(sent.size(), Duration.ofSeconds(120));
                Thread.sleep(2000);
                assertThat(receiver.spans()).hasSize(sent.size());
                checkSpans(sent, spans);
                checkWindows(sent, kafka, topics);
                assertThat(ship.metrics().lines()).isEqualTo(sent.size());
                assertThat(TopicRecords.readUntil(kafka.bootstrapServers(), topics.accessDeadLetters().name(), r -> true, Duration.ofMillis(1))).isEmpty();
                assertThat(upstream.received().stream().map(r -> r.uri().getQuery()).filter(q -> q != null && q.contains("token=tok-1&"))).hasSize(1);
            } finally {
                ship.stop();
            }
        }
    }

    private static void checkSpans(List<Sent> sent, List<ReceivedSpan> spans) {
        Map<String, Long> expectedByNameAndGroup = sent.stream().collect(Collectors.groupingBy(
                s -> s.status() + " " + s.group(), TreeMap::new, Collectors.counting()));
        Map<String, Long> actual = spans.stream().collect(Collectors.groupingBy(
                s -> text(s, "http.response.status_code") + " " + text(s, "edge.group"), TreeMap::new, Collectors.counting()));
        assertThat(actual).isEqualTo(expectedByNameAndGroup);

        for (Sent request : sent.stream().filter(s -> s.traceparent() != null).toList()) {
            ReceivedSpan span = spans.stream().filter(s -> request.traceId().equals(s.traceIdHex())).findFirst().orElseThrow();
            assertThat(span.parentSpanIdHex()).isEqualTo(request.traceparent().substring(36, 52));
            assertThat(span.name()).isEqualTo("GET /api/traced/{id}");
            assertThat(text(span, "network.protocol.version")).isEqualTo(request.http2() ? "2" : "1.1");
            assertThat(text(span, "url.scheme")).isEqualTo(request.http2() ? "https" : "http");
        }
        List<ReceivedSpan> searches = spans.stream().filter(s -> "/public/search".equals(text(s, "url.path"))).toList();
        assertThat(searches).hasSize(12).allSatisfy(s ->
                assertThat(text(s, "url.query")).matches("q=caddy&token=REDACTED&api_key=REDACTED"));
        assertThat(spans).filteredOn(s -> "engineering".equals(text(s, "edge.group")))
                .allSatisfy(s -> assertThat(text(s, "enduser.id")).isEqualTo("alice"));
        assertThat(spans).filteredOn(s -> text(s, "http.response.status_code").startsWith("5"))
                .allSatisfy(s -> assertThat(s.span().getStatus().getCode().name()).isEqualTo("STATUS_CODE_ERROR"));
        assertThat(spans.stream().map(ReceivedSpan::spanIdHex).distinct().count()).isEqualTo(sent.size());
    }

    /** The latest windows of each group add up to what was sent for the group; one late line would show here. */
    private static void checkWindows(List<Sent> sent, EmbeddedKafka kafka, Topics topics) {
        Map<String, Long> expected = sent.stream().collect(Collectors.groupingBy(Sent::group, TreeMap::new, Collectors.counting()));
        Function<Map<String, LatencyAggregateRecord>, Map<String, Long>> byGroup = windows -> windows.values().stream()
                .collect(Collectors.groupingBy(LatencyAggregateRecord::getGroup, TreeMap::new, Collectors.summingLong(LatencyAggregateRecord::getCount)));
        Map<String, LatencyAggregateRecord> latest = latestWindows(topics, TopicRecords.readUntil(kafka.bootstrapServers(),
                topics.latencyByGroup().name(), read -> byGroup.apply(latestWindows(topics, read)).equals(expected), Duration.ofSeconds(60)));
        assertThat(byGroup.apply(latest)).isEqualTo(expected);
        long expectedErrors = sent.stream().filter(s -> s.status() >= 500).count();
        long expectedDenied = sent.stream().filter(s -> s.status() == 401 || s.status() == 403).count();
        assertThat(latest.values().stream().mapToLong(LatencyAggregateRecord::getErrors).sum()).isEqualTo(expectedErrors);
        assertThat(latest.values().stream().mapToLong(LatencyAggregateRecord::getDenied).sum()).isEqualTo(expectedDenied);
        // engineering's policy allows GET /api/** only and wants answers within 100 ms: the sleeps beyond it breach
        long slow = sent.stream().filter(s -> s.group().equals("engineering") && s.path().startsWith("/api/sleep/")
                && Integer.parseInt(s.path().substring("/api/sleep/".length())) > 100).count();
        long breaches = latest.values().stream().filter(w -> w.getGroup().equals("engineering")).mapToLong(LatencyAggregateRecord::getSloBreaches).sum();
        assertThat(breaches).isGreaterThanOrEqualTo(slow);
    }

    /** The latest of each group's windows, by group and window start. */
    private static Map<String, LatencyAggregateRecord> latestWindows(Topics topics, List<ConsumerRecord<byte[], byte[]>> read) {
        Map<String, LatencyAggregateRecord> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : read) {
            LatencyAggregateRecord window = topics.latencyByGroup().valueSerde().deserializer().deserialize(r.topic(), r.value());
            latest.put(window.getGroup() + "@" + window.getWindowStartMs(), window);
        }
        return latest;
    }

    private static HttpResponse<String> send(HttpClient client, Sent request, String base) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + request.path())).timeout(Duration.ofSeconds(30));
        builder.method(request.method(), request.method().equals("POST") ? HttpRequest.BodyPublishers.ofString("{\"sku\":42}")
                : HttpRequest.BodyPublishers.noBody());
        if (request.user() != null) {
            builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (request.user() + ":" + request.password()).getBytes(StandardCharsets.UTF_8)));
        }
        if (request.traceparent() != null) {
            builder.header("traceparent", request.traceparent());
        }
        return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Trusts Caddy's internal root certificate, as a client of a private edge would. */
    private static SSLContext trusting(Path storage) throws Exception {
        Path root = storage.resolve("pki/authorities/local/root.crt");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(root));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(root)) {
            trust.setCertificateEntry("caddy-local", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static String text(ReceivedSpan span, String key) {
        return span.attribute(key).map(EndToEndWithRealCaddyTest::text).orElse("");
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
