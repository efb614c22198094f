package dev.caddylightstep.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.CommandRun;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.TestCertificates;
import dev.caddylightstep.topics.CreatedTopics;
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
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka over TLS with SASL/SCRAM, reached with client properties only; and the secrets of a run that used
 * them (the Lightstep token, the SASL password, credentials and sensitive query values in the log) found
 * nowhere afterwards: not in a topic, a log line, a metric or an error message. A broker of its own: a TLS and SASL
 * listener, and every topic it holds is searched for the secrets.
 */
class SecureKafkaTest {
    private static final String USER = "caddy-lightstep";
    private static final String PASSWORD = "sasl-" + UUID.randomUUID();
    private static final String TOKEN = "ls-token-" + UUID.randomUUID();
    private static final String BASIC_AUTH = "Basic Y2Fyb2w6ZGV2LXBhc3N3b3JkLTk4NzY1";
    private static final String COOKIE = "session=cookie-" + UUID.randomUUID();
    private static final String SET_COOKIE = "session=set-cookie-" + UUID.randomUUID() + "; HttpOnly";
    private static final String QUERY_TOKEN = "tok-" + UUID.randomUUID();
    private static final String API_KEY = "key-" + UUID.randomUUID();
    private static final String HTTP_TOKEN = "http-token-" + UUID.randomUUID();
    private static EmbeddedKafka kafka;
    private static TestCertificates certificates;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(dir);
        kafka = EmbeddedKafka.builder()
                .listener("SECURE", "SASL_SSL")
                .property("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .property("listener.name.secure.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .property("listener.name.secure.ssl.keystore.location", certificates.keyStore().toString())
                .property("listener.name.secure.ssl.keystore.password", certificates.password())
                .property("listener.name.secure.ssl.keystore.type", "PKCS12")
                .scramCredential("SCRAM-SHA-512=[name=" + USER + ",password=" + PASSWORD + "]")
                .build().start();
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    /** What a client needs to reach the secure listener, as KAFKA_* environment variables. */
    private static Map<String, String> clientEnvironment(String password) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers("SECURE"));
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAFKA_SASL_JAAS_CONFIG", jaas(password));
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", certificates.trustStore().toString());
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", certificates.password());
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        return env;
    }

    private static String jaas(String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER + "\" password=\"" + password + "\";";
    }

    private static Properties secureClient() {
        Properties props = new Properties();
        clientEnvironment(PASSWORD).forEach((name, value) ->
                props.put(name.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value));
        return props;
    }

    /** A real access line carrying every kind of secret a Caddy log can hold with log_credentials on. */
    private static String lineWithSecrets() {
        ObjectNode line = (ObjectNode) CaddyCapture.tree(CaddyCapture.access(CaddyCapture.request("GET", "/api/setcookie", 200)));
        ObjectNode request = (ObjectNode) line.get("request");
        request.put("uri", "/api/setcookie?token=" + QUERY_TOKEN + "&api_key=" + API_KEY + "&page=2");
        ObjectNode headers = (ObjectNode) request.get("headers");
        headers.set("Authorization", ((ArrayNode) CaddyCapture.tree("[]")).add(BASIC_AUTH));
        headers.set("Cookie", ((ArrayNode) CaddyCapture.tree("[]")).add(COOKIE));
        ((ObjectNode) line.get("resp_headers")).set("Set-Cookie", ((ArrayNode) CaddyCapture.tree("[]")).add(SET_COOKIE));
        return CaddyCapture.write(line);
    }

    @Test
    void theApplicationRunsOverTlsAndScramAndNoSecretLeaks() throws Exception {
        Properties client = secureClient();
        try (Admin admin = Admin.create(client)) {
            CreatedTopics.create(admin, dev.caddylightstep.topics.TopicLayout.topics(dev.caddylightstep.topics.TopicNames.DEFAULTS, 2, (short) 1), made -> { });
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add(lineWithSecrets());
        }
        lines.addAll(CaddyCapture.lines("access.log").subList(0, 30));
        int requests = lines.size();
        // dead letters copy their line: the same secrets, in lines the parser refuses (a status given as text, a line
        // cut in the middle of its Authorization value, a line from a clock two hours fast)
        String secretLine = lineWithSecrets();
        lines.add(secretLine.replaceFirst("\"status\":200", "\"status\":\"200\""));
        lines.add(secretLine.substring(0, secretLine.indexOf(BASIC_AUTH) + BASIC_AUTH.length() / 2));
        lines.add(CaddyCapture.withField(secretLine, "ts", java.math.BigDecimal.valueOf(System.currentTimeMillis() + 7_200_000L).movePointLeft(3)));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String line : lines) {
                producer.send(new ProducerRecord<>("caddy.access", line.getBytes(StandardCharsets.UTF_8)));
            }
        }

        int port = LoopbackPorts.free(1).get(0);
        String metrics;
        String output;
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.GRPC).start()) {
            Map<String, String> env = new HashMap<>(clientEnvironment(PASSWORD));
            env.put("LS_ACCESS_TOKEN", TOKEN);
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
            env.put("CADDY_HTTP_PORT", Integer.toString(port));
            env.put("CADDY_HTTP_TOKEN", HTTP_TOKEN);
            env.put("CADDY_LIGHTSTEP_LOG_LEVEL", "DEBUG");
            // the partitioned join, whose repartition topic carries whole requests: secrets must not reach it either
            ChildProcess app = ChildProcess.start("secure-run", env, "run", "--set", "state.dir=" + dir.resolve("state"),
                    "--set", "caddy.identity.join=partitioned");
            receiver.awaitSpans(requests, Duration.ofSeconds(120));
            assertThat(dev.caddylightstep.testing.kafka.TopicRecords.readUntil(kafka.bootstrapServers(), "caddy.access.dlq", read -> read.size() >= 3,
                    Duration.ofSeconds(60))).hasSize(3);
            assertThat(receiver.requestHeaders()).allSatisfy(h -> assertThat(h.first("lightstep-access-token")).contains(TOKEN));
            await().atMost(Duration.ofSeconds(30)).until(() -> scrape(port).contains("caddy_forward_spans_exported_total"));
            metrics = scrape(port);
            assertThat(app.terminate()).isZero();
            output = app.output();
        }

        List<String> secrets = List.of(TOKEN, PASSWORD, HTTP_TOKEN, BASIC_AUTH, "Y2Fyb2w6ZGV2LXBhc3N3b3JkLTk4NzY1", COOKIE, SET_COOKIE,
                QUERY_TOKEN, API_KEY);
        assertThat(output).contains("streams REBALANCING -> RUNNING");
        for (String secret : secrets) {
            assertThat(output).as("the application's log").doesNotContain(secret);
            assertThat(metrics).as("/metrics").doesNotContain(secret);
        }
        Map<String, List<String>> leaks = topicsContaining(secrets, client);
        assertThat(leaks).as("topics other than caddy.access holding a secret").isEmpty();
    }

    @Test
    void aWrongPasswordFailsInOneLineWithoutTheSecret() throws Exception {
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n");
        String wrong = "wrong-" + UUID.randomUUID();
        List<String> args = new ArrayList<>(List.of("load", "identities", identities.toString()));
        clientEnvironment(wrong).forEach((name, value) -> args.addAll(List.of("--set",
                name.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.') + "=" + value)));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        run.isAOneLineError("Kafka at " + kafka.bootstrapServers("SECURE"));
        assertThat(run.err()).startsWith("error: Kafka at ").containsIgnoringCase("authentication failed")
                .doesNotContain(wrong).doesNotContain(PASSWORD);
    }

    private static String scrape(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Every record of every topic but the raw input, committed or not, searched for each secret. */
    private static Map<String, List<String>> topicsContaining(List<String> secrets, Properties client) throws Exception {
        Map<String, List<String>> found = new HashMap<>();
        List<String> topics;
        try (Admin admin = Admin.create(client)) {
            topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get()
                    .stream().filter(t -> !t.equals("caddy.access")).toList();
        }
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "secret-search-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        assertThat(topics).contains("caddy.spans", "caddy-lightstep-by-identity-repartition");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(topics);
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int empty = 0;
            while (System.nanoTime() < deadline && empty < 10) {
                var records = consumer.poll(Duration.ofMillis(300));
                empty = records.isEmpty() ? empty + 1 : 0;
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    StringBuilder all = new StringBuilder();
                    all.append(record.key() == null ? "" : new String(record.key(), StandardCharsets.ISO_8859_1));
                    all.append(record.value() == null ? "" : new String(record.value(), StandardCharsets.ISO_8859_1));
                    for (Header header : record.headers()) {
                        all.append(header.value() == null ? "" : new String(header.value(), StandardCharsets.ISO_8859_1));
                    }
                    for (String secret : secrets) {
                        if (all.indexOf(secret) >= 0) {
                            found.computeIfAbsent(record.topic(), t -> new ArrayList<>()).add(secret);
                        }
                    }
                }
            }
        }
        return found;
    }
}
