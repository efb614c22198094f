package dev.caddylightstep.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A role that fails for good ends the process, in one line and with a non-zero exit, so that its orchestrator starts it
 * again; until it has ended, its probes say it is dead. The failures are real: Kafka's own authorizer refuses what an
 * operator forgot to grant (everything is allowed on this broker but what an ACL denies). A broker of its own: its
 * authorizer and denials would reach the classes that share one.
 */
class SupervisionTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String DENIED_GROUP = "denied-forwarder";
    private static final String DENIED_SPANS = "denied.spans";
    private static EmbeddedKafka kafka;
    private static OtlpReceiver receiver;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.builder()
                .property("authorizer.class.name", StandardAuthorizer.class.getName())
                .property("allow.everyone.if.no.acl.found", "true")
                .build().start();
        try (Admin admin = kafka.admin()) {
            admin.createAcls(List.of(
                    deny(ResourceType.GROUP, DENIED_GROUP, AclOperation.READ),
                    deny(ResourceType.TOPIC, DENIED_SPANS, AclOperation.WRITE))).all().get();
        }
        // the authorizer learns of new ACLs through the metadata log
        Thread.sleep(1_000);
        kafka.createTopics(TopicLayout.topics(TopicNames.DEFAULTS, 2, (short) 1));
        receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
        TopicRecords.produce(kafka.bootstrapServers(), TopicNames.DEFAULTS.spans(), realSpanRecords());
    }

    @AfterAll
    static void stop() {
        receiver.close();
        kafka.close();
    }

    private static AclBinding deny(ResourceType type, String name, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:ANONYMOUS", "*", operation, AclPermissionType.DENY));
    }

    private static List<byte[]> realSpanRecords() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log").subList(0, 20));
            return p.spanRecords();
        }
    }

    private static Map<String, String> environment(Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(more);
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint());
        env.put("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
        env.put("CADDY_HTTP_PORT", "0");
        return env;
    }

    /** The lines the process printed that report an error. */
    private static List<String> errorLines(String output) {
        return output.lines().filter(line -> line.startsWith("error: ")).toList();
    }

    private static int status(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aForwarderRefusedItsGroupEndsTheProcessInOneLine() throws Exception {
        ChildProcess process = ChildProcess.start("forwarder-denied", environment(Map.of("CADDY_FORWARD_GROUP_ID", DENIED_GROUP)),
                "run", "--role", "forwarder");

        assertThat(process.waitFor(Duration.ofSeconds(90))).as(process.output()).isEqualTo(1);
        assertThat(errorLines(process.output())).singleElement().satisfies(line ->
                assertThat(line).startsWith("error: the span forwarder failed: GroupAuthorizationException").contains(DENIED_GROUP));
    }

    @Test
    void streamsRefusedTheirSpansTopicEndTheProcessInOneLine() throws Exception {
        refusedSpansTopicEndsTheProcess(Map.of());
    }

    /**
     * At least once, Kafka Streams commits what its producer sent: a send the broker refused, taken by the processing
     * handler for the record in hand's fault and resumed from, was forgotten, and the next commit went past spans never
     * written while the process ran on.
     */
    @Test
    void streamsRefusedTheirSpansTopicEndTheProcessInOneLineAtLeastOnceToo() throws Exception {
        refusedSpansTopicEndsTheProcess(Map.of("KAFKA_PROCESSING_GUARANTEE", "at_least_once", "CADDY_ALLOW_AT_LEAST_ONCE", "true"));
    }

    private void refusedSpansTopicEndsTheProcess(Map<String, String> guarantee) throws Exception {
        String applicationId = "denied-streams-" + UUID.randomUUID().toString().substring(0, 8);
        String accessTopic = "access-" + applicationId;
        kafka.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(accessTopic, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(DENIED_SPANS, 2, (short) 1)));
        long now = System.currentTimeMillis();
        TopicRecords.produce(kafka.bootstrapServers(), accessTopic, CaddyCapture.lines("access.log").subList(0, 20).stream()
                .map(l -> CaddyCapture.withField(l, "ts", BigDecimal.valueOf(now).movePointLeft(3)).getBytes(StandardCharsets.UTF_8)).toList());
        Map<String, String> settings = new java.util.HashMap<>(guarantee);
        settings.putAll(Map.of("KAFKA_APPLICATION_ID", applicationId, "KAFKA_STATE_DIR", dir.resolve(applicationId).toString(),
                "CADDY_TOPIC_ACCESS", accessTopic, "CADDY_TOPIC_SPANS", DENIED_SPANS));
        ChildProcess process = ChildProcess.start("streams-denied", environment(settings), "run", "--role", "streams");

        assertThat(process.waitFor(Duration.ofSeconds(120))).as(process.output()).isEqualTo(1);
        assertThat(errorLines(process.output())).singleElement().satisfies(line ->
                assertThat(line).startsWith("error: Kafka Streams stopped: a stream thread failed with TopicAuthorizationException")
                        .contains(DENIED_SPANS));
        // a topic refused is no record's fault: none is dead-lettered for it
        assertThat(process.output()).doesNotContain("dead-lettered");
    }

    @Test
    void aFailedForwarderFailsLivenessAndReadinessAndIsReportedOnce() throws Exception {
        Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "caddy.forward.group-id", DENIED_GROUP, "caddy.http.port", "0"));
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        List<String> reported = new CopyOnWriteArrayList<>();
        try (Application app = new Application(Application.Role.FORWARDER, PipelineConfig.from(settings), forwarding,
                ExportTarget.from(settings, forwarding), HttpSettings.from(settings), (reason, cause) -> reported.add(reason)).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !reported.isEmpty());

            assertThat(status(app.httpPort(), "/health/live")).isEqualTo(503);
            assertThat(status(app.httpPort(), "/health/ready")).isEqualTo(503);
            assertThat(reported).singleElement().satisfies(reason -> assertThat(reason).contains("GroupAuthorizationException"));
        }
    }

    @Test
    void aForwarderIsReadyOnceItHasJoinedItsGroupAndLiveWhileItRuns() throws Exception {
        Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "caddy.forward.group-id", "allowed-forwarder-" + UUID.randomUUID(), "caddy.http.port", "0"));
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        List<String> reported = new CopyOnWriteArrayList<>();
        try (Application app = new Application(Application.Role.FORWARDER, PipelineConfig.from(settings), forwarding,
                ExportTarget.from(settings, forwarding), HttpSettings.from(settings), (reason, cause) -> reported.add(reason)).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> status(app.httpPort(), "/health/ready") == 200);
            assertThat(status(app.httpPort(), "/health/live")).isEqualTo(200);
            assertThat(reported).isEmpty();
        }
    }
}
