package dev.caddylightstep.deploy;

import dev.caddylightstep.testing.FatalFailures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.IdentitiesFile;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.cli.ShipCommand;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topology.Topics;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RoundRobinPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The KafkaUsers' ACLs against the application itself: a broker that authenticates with SCRAM and authorizes with
 * exactly the ACLs of deploy/kubernetes (and the topics of its KafkaTopics) runs every part as its own user: the
 * shipper ships a real Caddy log, the loader loads the demo's tables, the streams role processes the lines, the
 * forwarder exports the spans to a local OTLP receiver, and KEDA's lag queries are made. Each part must meet no
 * denial, and every ACL must have been used by the part it is for. A broker of its own, secured as production's.
 */
class DeployAclDriftTest {
    private static final String CLIENT_LISTENER = "SASL_PLAINTEXT";
    private static final Map<String, String> PASSWORDS = new HashMap<>();
    private static List<ObjectNode> manifests;
    private static EmbeddedKafka kafka;
    private static String saslBootstrap;
    private static Properties appProperties;
    private static OtlpReceiver receiver;
    private static Application streams;
    private static Application forwarder;
    private static ShipCommand shipper;
    private static CompletableFuture<Integer> shipperExit;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        manifests = Kustomization.render(DeployFiles.path("kubernetes/base"));
        appProperties = new Properties();
        appProperties.load(new StringReader(Workloads.find(manifests, "ConfigMap", "caddy-lightstep-config").orElseThrow()
                .path("data").path("app.properties").asText()));
        RecordingAuthorizer.DECISIONS.clear();
        kafka = securedBroker();
        createTopicsAndAcls();

        receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
        Path log = work.resolve("access.log");
        Files.write(log, logLines());
        Settings loader = settingsFor(user("loader"), Map.of());
        Topics topics = Topics.of(loader.topicNames());
        Path demo = Path.of("src", "main", "resources", "demo");
        // twice, as the Jobs run again when a file changes: the second load reads the table the first one wrote
        for (int run = 0; run < 2; run++) {
            TableLoader.load(loader.kafka(), topics.identities(), IdentitiesFile.read(demo.resolve("identities.yaml")), Identity::id);
            TableLoader.load(loader.kafka(), topics.policies(), PoliciesFile.read(demo.resolve("policies.yaml")), Policy::group);
        }

        shipper = new ShipCommand();
        Path shipperConfig = work.resolve("shipper.properties");
        Properties shipperProps = new Properties();
        shipperProps.putAll(connection(user("shipper")));
        // one shipper's lines would fill a partition or two, and a task with no lines holds the first windows open for
        // the merge's 30 s (WindowMerge.SOURCE_SILENCE_MS), as a task about to send the oldest partials might: every
        // partition gets lines here, as from a fleet of hosts, and the windows close as soon as they are due
        shipperProps.put("partitioner.class", RoundRobinPartitioner.class.getName());
        try (var out = Files.newBufferedWriter(shipperConfig)) {
            shipperProps.store(out, null);
        }
        CommandLine shipLine = new CommandLine(shipper);
        shipperExit = CompletableFuture.supplyAsync(() -> shipLine.execute("--file", log.toString(), "--from-beginning",
                "--max-line-bytes", "16384", "--progress-interval", "0", "--config", shipperConfig.toString()));

        Settings streamsSettings = settingsFor(user("streams"), Map.of(
                "state.dir", work.resolve("state").toString(), "commit.interval.ms", "200",
                // purge processed repartition records soon, so that the run deletes records as a long one does
                "repartition.purge.interval.ms", "500", "caddy.window.grace", "10m"));
        PipelineConfig config = PipelineConfig.from(streamsSettings);
        streams = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(streamsSettings), java.util.Optional.empty(),
                HttpSettings.from(streamsSettings), FatalFailures.END_THE_FORK).start();

        Settings forwarderSettings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), settingsMap(user("forwarder"), Map.of()));
        ForwarderSettings forwarding = ForwarderSettings.from(forwarderSettings);
        forwarder = new Application(Application.Role.FORWARDER, PipelineConfig.from(forwarderSettings), forwarding,
                ExportTarget.from(forwarderSettings, forwarding), HttpSettings.from(forwarderSettings), FatalFailures.END_THE_FORK).start();
        // a record on the spans topic that is not OTLP: the forwarder dead-letters it
        TopicRecords.produce(kafka.bootstrapServers(), topics.spans().name(), List.of("not an OTLP request".getBytes(StandardCharsets.UTF_8)));

        int shipped = logLines().size() - 1;
        // the spans topic is written in transactions: the forwarder commits the offset after its last record,
        // which leaves at most the closing transaction marker of each partition as lag
        int spanPartitions = Workloads.find(manifests, "KafkaTopic", topics.spans().name()).orElseThrow().path("spec").path("partitions").asInt();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(List.of(
                endOffset(topics.access().name()), lag(group("streams"), topics.access().name()),
                endOffset(topics.spans().name()) > 1, lag(group("forwarder"), topics.spans().name()) <= spanPartitions))
                .as("lines shipped, streams lag, spans written, forwarder lag").containsExactly((long) shipped, 0L, true, true));
        kedaLagQueries();
    }

    @AfterAll
    static void stop() throws Exception {
        if (shipper != null) {
            shipper.stop();
            shipperExit.get();
        }
        for (AutoCloseable c : new AutoCloseable[] {forwarder, streams, receiver, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The capture's lines at the current time, a line that is not JSON and one longer than the shipper takes. */
    /**
     * The capture, its first half logged half an hour ago and the rest now: the windows of the first half close, so that
     * the objectives are evaluated and the demo's policies' targets raise alerts (the capture's error routes answer 5xx).
     */
    private static List<String> logLines() {
        long now = System.currentTimeMillis();
        List<String> capture = CaddyCapture.lines("access.log");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < capture.size(); i++) {
            long ts = i < capture.size() / 2 ? now - Duration.ofMinutes(30).toMillis() : now;
            lines.add(CaddyCapture.withField(capture.get(i), "ts", BigDecimal.valueOf(ts).movePointLeft(3)));
        }
        lines.add("this line is not JSON");
        lines.add("{\"padding\":\"" + "x".repeat(20_000) + "\"}");
        return lines;
    }

    /** A broker with a SCRAM listener for the application's users, and the plain one for the test itself (a super user). */
    private static EmbeddedKafka securedBroker() throws Exception {
        List<Integer> ports = LoopbackPorts.free(3);
        int plain = ports.get(0);
        int sasl = ports.get(1);
        int controller = ports.get(2);
        saslBootstrap = "127.0.0.1:" + sasl;
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().port(plain)
                .property("listeners", "PLAINTEXT://127.0.0.1:" + plain + ",CONTROLLER://127.0.0.1:" + controller + "," + CLIENT_LISTENER + "://" + saslBootstrap)
                .property("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + "," + CLIENT_LISTENER + "://" + saslBootstrap)
                .property("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT," + CLIENT_LISTENER + ":" + CLIENT_LISTENER)
                .property("controller.quorum.voters", "1@127.0.0.1:" + controller)
                .property("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .property("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .property("authorizer.class.name", RecordingAuthorizer.class.getName())
                .property("super.users", "User:ANONYMOUS");
        for (ObjectNode user : Workloads.ofKind(manifests, "KafkaUser")) {
            String name = user.path("metadata").path("name").asText();
            assertThat(user.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
            String password = UUID.randomUUID().toString();
            PASSWORDS.put(name, password);
            builder.scramCredential("SCRAM-SHA-512=[name=" + name + ",password=" + password + "]");
        }
        return builder.build().start();
    }

    /** The topics as the KafkaTopics define them (one replica: one broker), the ACLs as the KafkaUsers do. */
    private static void createTopicsAndAcls() throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (ObjectNode t : Workloads.ofKind(manifests, "KafkaTopic")) {
            JsonNode spec = t.path("spec");
            Map<String, String> configs = new HashMap<>();
            spec.path("config").fields().forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
            configs.put("min.insync.replicas", "1");
            topics.add(new NewTopic(spec.path("topicName").asText(), spec.path("partitions").asInt(), (short) 1).configs(configs));
        }
        kafka.createTopics(topics);
        List<AclBinding> bindings = new ArrayList<>();
        for (DeployDriftTest.Acl acl : DeployDriftTest.aclsOf(manifests)) {
            bindings.add(new AclBinding(new ResourcePattern(resourceType(acl.type()), acl.name(),
                    acl.pattern().equals("prefix") ? PatternType.PREFIXED : PatternType.LITERAL),
                    new AccessControlEntry("User:" + acl.user(), "*", operation(acl.operation()), AclPermissionType.ALLOW)));
        }
        try (Admin admin = kafka.admin()) {
            admin.createAcls(bindings).all().get();
        }
        // the authorizer learns of new ACLs through the metadata log
        Thread.sleep(1_000);
    }

    private static ResourceType resourceType(String strimzi) {
        return switch (strimzi) {
            case "topic" -> ResourceType.TOPIC;
            case "group" -> ResourceType.GROUP;
            case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
            case "cluster" -> ResourceType.CLUSTER;
            default -> throw new IllegalArgumentException("resource type " + strimzi);
        };
    }

    /** Strimzi's operation names (Read, DescribeConfigs) are Kafka's in camel case. */
    static AclOperation operation(String strimzi) {
        return AclOperation.valueOf(strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
    }

    /** The KafkaUser a part logs in as, as the manifests wire it. */
    private static String user(String part) {
        return switch (part) {
            case "streams" -> DeployDriftTest.userOf(Workloads.runContainer(manifests, "streams"));
            case "forwarder" -> DeployDriftTest.userOf(Workloads.runContainer(manifests, "forwarder"));
            case "loader" -> DeployDriftTest.userOf(Workloads.containers(DeployDriftTest.loaderJobs(DeployFiles.path("kubernetes/jobs"))).get(0));
            case "keda" -> DeployDriftTest.kedaUser(manifests);
            default -> "caddy-lightstep-" + part;
        };
    }

    private static String group(String role) {
        return role.equals("streams") ? appProperties.getProperty("application.id") : appProperties.getProperty("caddy.forward.group-id");
    }

    private static Map<String, String> connection(String user) {
        assertThat(PASSWORDS).containsKey(user);
        return Map.of("bootstrap.servers", saslBootstrap, "security.protocol", CLIENT_LISTENER, "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                        + "\" password=\"" + PASSWORDS.get(user) + "\";");
    }

    /** The deployed app.properties with this test's connection (SCRAM without TLS) and the given settings. */
    private static Map<String, String> settingsMap(String user, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>();
        appProperties.stringPropertyNames().forEach(k -> settings.put(k, appProperties.getProperty(k)));
        settings.remove("ssl.truststore.type");
        settings.remove("ssl.truststore.location");
        settings.putAll(connection(user));
        settings.put("caddy.http.host", "127.0.0.1");
        settings.put("caddy.http.port", "0");
        settings.putAll(extra);
        return settings;
    }

    private static Settings settingsFor(String user, Map<String, String> extra) {
        return Settings.of(settingsMap(user, extra));
    }

    private static long endOffset(String topic) {
        return TopicRecords.endOffsets(kafka.bootstrapServers(), topic);
    }

    private static long lag(String group, String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long lag = 0;
            for (var e : admin.listOffsets(latest).all().get().entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                // a partition the group never committed: all of it waits, unless it is empty
                lag += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        }
    }

    /** What KEDA's kafka scaler asks, as its user: the topic's partitions, their end offsets, the group's offsets. */
    private static void kedaLagQueries() throws Exception {
        Map<String, Object> props = new HashMap<>(connection(user("keda")));
        try (Admin admin = Admin.create(props)) {
            for (ObjectNode so : Workloads.ofKind(manifests, "ScaledObject")) {
                JsonNode metadata = so.path("spec").path("triggers").get(0).path("metadata");
                String topic = metadata.path("topic").asText();
                int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                admin.listOffsets(latest).all().get();
                // with a topic set, the scaler asks for the offsets of that topic's partitions only
                String group = metadata.path("consumerGroup").asText();
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(
                        Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(latest.keySet()))).partitionsToOffsetAndMetadata(group).get();
                assertThat(offsets).as("KEDA sees the offsets of " + metadata.path("consumerGroup").asText()).isNotEmpty();
            }
        }
    }

    private static boolean usedBy(DeployDriftTest.Acl acl, RecordingAuthorizer.Decision d) {
        if (!d.allowed() || !d.principal().equals(acl.user()) || d.type() != resourceType(acl.type()) || d.operation() != operation(acl.operation())) {
            return false;
        }
        if (d.name() == null) {
            return true;
        }
        return acl.pattern().equals("prefix") ? d.name().startsWith(acl.name()) : d.name().equals(acl.name());
    }

    @Test
    void noPartOfTheApplicationIsDeniedAnything() {
        Set<String> users = PASSWORDS.keySet();
        List<String> denied = RecordingAuthorizer.DECISIONS.stream()
                .filter(d -> !d.allowed() && d.reported() && users.contains(d.principal()))
                .map(d -> d.principal() + " " + d.operation() + " " + d.type() + ":" + d.name())
                .distinct().toList();
        assertThat(denied).isEmpty();
    }

    @Test
    void everyAclOfTheKafkaUsersIsUsedByThePartItIsFor() {
        Set<DeployDriftTest.Acl> acls = DeployDriftTest.aclsOf(manifests);
        assertThat(acls).hasSizeGreaterThan(20);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Set<DeployDriftTest.Acl> unused = acls.stream()
                    .filter(acl -> RecordingAuthorizer.DECISIONS.stream().noneMatch(d -> usedBy(acl, d)))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(unused).as("ACLs no part used").isEmpty();
        });
    }

    @Test
    void theApplicationsInternalTopicsAreAllUnderItsPrefixAndItsUserMadeThem() throws Exception {
        // rendered from the manifests once, not for each of the thousands of decisions recorded
        String streamsUser = user("streams");
        Set<String> internal;
        try (Admin admin = kafka.admin()) {
            internal = admin.listTopics().names().get().stream()
                    .filter(t -> !t.startsWith("__"))
                    .filter(t -> Workloads.ofKind(manifests, "KafkaTopic").stream().noneMatch(k -> k.path("spec").path("topicName").asText().equals(t)))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(internal).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith(group("streams") + "-"));
        assertThat(internal).containsExactlyInAnyOrderElementsOf(DeployDriftTest.streamsInternalTopics(
                PipelineConfig.from(settingsFor(streamsUser, Map.of())), group("streams")));
        for (String topic : internal) {
            assertThat(RecordingAuthorizer.DECISIONS).as(topic + " created by the streams user")
                    .anyMatch(d -> d.allowed() && d.principal().equals(streamsUser) && topic.equals(d.name()) && d.operation() == AclOperation.CREATE);
        }
    }

    @Test
    void everyPartDidItsWork() {
        assertThat(receiver.spans()).as("spans exported by the forwarder").isNotEmpty();
        assertThat(endOffset("caddy.access.dlq")).as("dead letters of the shipper and of the streams").isGreaterThanOrEqualTo(2);
        assertThat(endOffset("caddy.spans.dlq")).as("dead letters of the forwarder").isEqualTo(1);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(endOffset("caddy.latency.by-group")).as("windows").isPositive());
    }
}
