package dev.caddylightstep.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.AggregateStage;
import dev.caddylightstep.config.ConfigKeys;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.http.OpsServer;
import dev.caddylightstep.span.SpanStage;
import dev.caddylightstep.topology.PipelineTopology;
import dev.caddylightstep.topology.StreamsProperties;
import dev.caddylightstep.topics.TopicLayout;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes manifests of deploy/kubernetes, rendered as kustomize would for the base and each overlay,
 * checked against the code they deploy: topics against TopicLayout and the topology, ACLs against what each part
 * reads and writes, environment variables against the configuration class, probes and ports against the HTTP
 * server, and KEDA's lag triggers against the consumer groups and topics.
 */
class DeployDriftTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Only these OpenTelemetry variables are documented and read (SpanResource, ExportTarget, the SDK's exporter). */
    static final Set<String> OTEL_VARIABLES = otelVariables();
    private static OpsServer http;

    static Stream<String> kustomizations() {
        return Stream.of("kubernetes/base", "kubernetes/overlays/dev", "kubernetes/overlays/production");
    }

    static List<ObjectNode> render(String kustomization) {
        return Kustomization.render(DeployFiles.path(kustomization));
    }

    @BeforeAll
    static void startHttp() throws Exception {
        http = new OpsServer(HttpSettings.from(Settings.of(Map.of("caddy.http.port", "0"))), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> true, () -> true, AggregateJson.JSON.createObjectNode()).start();
    }

    @AfterAll
    static void stopHttp() {
        http.close();
    }

    private static Set<String> otelVariables() {
        Set<String> names = new TreeSet<>(Set.of("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"));
        for (String signal : List.of("", "TRACES_")) {
            for (String what : List.of("ENDPOINT", "PROTOCOL", "HEADERS", "COMPRESSION", "TIMEOUT", "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE")) {
                names.add("OTEL_EXPORTER_OTLP_" + signal + what);
            }
        }
        return names;
    }

    // ---- topics

    /** Every topic named anywhere in the topology's description, its dead-letter topic, and the other parts' topics. */
    static Set<String> topicsTheApplicationUses(PipelineConfig config) {
        Set<String> used = new TreeSet<>();
        TopologyDescription d = PipelineTopology.build(config).describe();
        for (TopologyDescription.Subtopology sub : d.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    used.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Sink sink) {
                    used.add(sink.topic());
                }
            }
        }
        for (TopologyDescription.GlobalStore store : d.globalStores()) {
            used.addAll(store.source().topicSet());
        }
        used.removeAll(internalTopicNames(d));
        used.add(String.valueOf(StreamsProperties.of(config).get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)));
        // the forwarder's and the shipper's
        used.add(config.topics().spans());
        used.add(config.topics().spanDeadLetters());
        used.add(config.topics().access());
        used.add(config.topics().accessDeadLetters());
        return used;
    }

    /** Repartition topics as the description names them (without the application.id prefix). */
    private static Set<String> internalTopicNames(TopologyDescription d) {
        Set<String> sinks = new TreeSet<>();
        Set<String> sources = new TreeSet<>();
        for (TopologyDescription.Subtopology sub : d.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    sources.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Sink sink) {
                    sinks.add(sink.topic());
                }
            }
        }
        Set<String> internal = new TreeSet<>();
        for (String t : sinks) {
            if (t.endsWith("-repartition") && sources.contains(t)) {
                internal.add(t);
            }
        }
        return internal;
    }

    /** The topics Kafka Streams makes for itself: <application.id>-<name>-repartition and <application.id>-<store>-changelog. */
    static Set<String> streamsInternalTopics(PipelineConfig config, String applicationId) {
        TopologyDescription d = PipelineTopology.build(config).describe();
        Set<String> internal = new TreeSet<>();
        internalTopicNames(d).forEach(t -> internal.add(applicationId + "-" + t));
        for (TopologyDescription.Subtopology sub : d.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Processor p) {
                    // the stores through which a processor learns that its task commits hold nothing, and have no changelog
                    p.stores().stream().filter(store -> !Set.of(AggregateStage.PARTIALS_COMMIT_STORE, SpanStage.BATCHES_COMMIT_STORE).contains(store))
                            .forEach(store -> internal.add(applicationId + "-" + store + "-changelog"));
                }
            }
        }
        return internal;
    }

    static Map<String, JsonNode> strimziTopics(List<ObjectNode> objects) {
        Map<String, JsonNode> topics = new HashMap<>();
        for (ObjectNode t : Workloads.ofKind(objects, "KafkaTopic")) {
            String name = t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText());
            assertThat(topics.put(name, t)).as("two KafkaTopics for " + name).isNull();
        }
        return topics;
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyTopicTheApplicationUsesIsAStrimziTopic(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        PipelineConfig config = PipelineConfig.from(Workloads.runContainer(objects, "streams").settings());
        assertThat(strimziTopics(objects).keySet()).containsAll(topicsTheApplicationUses(config));
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theStrimziTopicsAreThoseOfTopicLayoutWithTheirPartitionsAndConfigs(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        TopicNames names = Workloads.runContainer(objects, "streams").settings().topicNames();
        Map<String, JsonNode> topics = strimziTopics(objects);
        JsonNode access = topics.get(names.access());
        int partitions = access.path("spec").path("partitions").asInt();
        int replicas = access.path("spec").path("replicas").asInt();
        List<NewTopic> layout = TopicLayout.topics(names, partitions, (short) replicas);
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(layout.stream().map(NewTopic::name).toList());
        for (NewTopic expected : layout) {
            JsonNode spec = topics.get(expected.name()).path("spec");
            assertThat(spec.path("partitions").asInt()).as(expected.name() + " partitions").isEqualTo(expected.numPartitions());
            assertThat(spec.path("replicas").asInt()).as(expected.name() + " replicas").isEqualTo(replicas);
            Map<String, String> configs = new HashMap<>();
            spec.path("config").fields().forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
            assertThat(configs).as(expected.name() + " config").containsAllEntriesOf(expected.configs());
            Set<String> beyondLayout = new TreeSet<>(configs.keySet());
            beyondLayout.removeAll(expected.configs().keySet());
            // the only setting the layout leaves to the cluster: how many replicas must acknowledge a write
            assertThat(beyondLayout).as(expected.name() + " settings not in TopicLayout").isSubsetOf(Set.of("min.insync.replicas"));
            // one replica short of all may be away (a broker restarting) without refusing writes; with three or more, a write
            // acknowledged by the leader alone would be lost with it
            int minInsync = Integer.parseInt(configs.getOrDefault("min.insync.replicas", "1"));
            assertThat(minInsync).as(expected.name() + " min.insync.replicas with " + replicas + " replicas")
                    .isBetween(replicas >= 3 ? 2 : 1, Math.max(1, replicas - 1));
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyStrimziResourceBelongsToTheClusterTheApplicationConnectsTo(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        Set<String> clusters = new TreeSet<>();
        Stream.concat(Workloads.ofKind(objects, "KafkaTopic").stream(), Workloads.ofKind(objects, "KafkaUser").stream())
                .forEach(o -> clusters.add(o.path("metadata").path("labels").path("strimzi.io/cluster").asText()));
        assertThat(clusters).hasSize(1);
        String cluster = clusters.iterator().next();
        for (Workloads.Container c : Workloads.containers(objects)) {
            String bootstrap = String.valueOf(c.settings().kafka().get("bootstrap.servers"));
            assertThat(bootstrap).as(c.where() + " bootstrap.servers").startsWith(cluster + "-kafka-bootstrap:");
        }
        for (ObjectNode so : Workloads.ofKind(objects, "ScaledObject")) {
            for (JsonNode trigger : so.path("spec").path("triggers")) {
                assertThat(trigger.path("metadata").path("bootstrapServers").asText()).startsWith(cluster + "-kafka-bootstrap:");
            }
        }
    }

    // ---- ACLs

    /** One operation on one resource pattern for one user. */
    record Acl(String user, String type, String name, String pattern, String operation) implements Comparable<Acl> {
        @Override
        public int compareTo(Acl o) {
            return toString().compareTo(o.toString());
        }
    }

    static Set<Acl> aclsOf(List<ObjectNode> objects) {
        Set<Acl> acls = new TreeSet<>();
        for (ObjectNode user : Workloads.ofKind(objects, "KafkaUser")) {
            String name = user.path("metadata").path("name").asText();
            for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
                JsonNode r = acl.path("resource");
                for (JsonNode op : acl.path("operations")) {
                    acls.add(new Acl(name, r.path("type").asText(), r.path("name").asText(""), r.path("patternType").asText("literal"), op.asText()));
                }
            }
        }
        return acls;
    }

    /** The KafkaUser whose Secret a container logs in with. */
    static String userOf(Workloads.Container c) {
        return c.env("KAFKA_SASL_JAAS_CONFIG").orElseThrow(() -> new AssertionError(c.where() + " sets no KAFKA_SASL_JAAS_CONFIG"))
                .path("valueFrom").path("secretKeyRef").path("name").asText();
    }

    static String kedaUser(List<ObjectNode> objects) {
        Set<String> users = new TreeSet<>();
        for (ObjectNode auth : Workloads.ofKind(objects, "TriggerAuthentication")) {
            for (JsonNode ref : auth.path("spec").path("secretTargetRef")) {
                if (ref.path("parameter").asText().equals("username")) {
                    ObjectNode secret = Workloads.find(objects, "Secret", ref.path("name").asText()).orElseThrow();
                    users.add(secret.path("stringData").path(ref.path("key").asText()).asText());
                }
            }
        }
        assertThat(users).hasSize(1);
        return users.iterator().next();
    }

    /**
     * What each part does with Kafka, from the code: the topology's sources are read and its sinks written, its
     * internal topics are made under the application.id, and its transactions (exactly_once_v2) are named after it;
     * the forwarder reads spans in its group and writes their dead letters; the loader reads each table and writes it
     * in a transaction of its own; the shipper writes lines and their dead letters; KEDA looks at the lag of the two
     * groups it scales on.
     */
    static Set<Acl> expectedAcls(List<ObjectNode> objects, Path jobs) {
        Workloads.Container streams = Workloads.runContainer(objects, "streams");
        Settings settings = streams.settings();
        PipelineConfig config = PipelineConfig.from(settings);
        String s = userOf(streams);
        Set<Acl> expected = new TreeSet<>();
        TopologyDescription d = PipelineTopology.build(config).describe();
        Set<String> internal = internalTopicNames(d);
        for (TopologyDescription.Subtopology sub : d.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    source.topicSet().stream().filter(t -> !internal.contains(t)).forEach(t -> expected.add(new Acl(s, "topic", t, "literal", "Read")));
                } else if (node instanceof TopologyDescription.Sink sink && !internal.contains(sink.topic())) {
                    expected.add(new Acl(s, "topic", sink.topic(), "literal", "Write"));
                }
            }
        }
        d.globalStores().forEach(g -> g.source().topicSet().forEach(t -> expected.add(new Acl(s, "topic", t, "literal", "Read"))));
        expected.add(new Acl(s, "topic", String.valueOf(StreamsProperties.of(config).get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)), "literal", "Write"));
        String applicationId = String.valueOf(settings.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG));
        for (String op : List.of("Create", "Read", "Write", "Delete")) {
            expected.add(new Acl(s, "topic", applicationId + "-", "prefix", op));
        }
        expected.add(new Acl(s, "group", applicationId, "literal", "Read"));
        assertThat(settings.kafka().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        expected.add(new Acl(s, "transactionalId", applicationId + "-", "prefix", "Write"));

        Workloads.Container forwarder = Workloads.runContainer(objects, "forwarder");
        Settings fs = forwarder.settings();
        String f = userOf(forwarder);
        expected.add(new Acl(f, "topic", fs.topicNames().spans(), "literal", "Read"));
        expected.add(new Acl(f, "group", ForwarderSettings.from(fs).groupId(), "literal", "Read"));
        expected.add(new Acl(f, "topic", fs.topicNames().spanDeadLetters(), "literal", "Write"));
        if (ForwarderSettings.from(fs).exportMetrics()) {
            expected.add(new Acl(f, "topic", fs.topicNames().metrics(), "literal", "Read"));
            expected.add(new Acl(f, "group", ForwarderSettings.from(fs).metricsGroupId(), "literal", "Read"));
        }

        for (Workloads.Container load : Workloads.containers(loaderJobs(jobs))) {
            String l = userOf(load);
            TopicNames names = load.settings().topicNames();
            String table = load.commandLine().subcommand().matchedPositionalValue(0, null).toString();
            String topic = table.equals("identities") ? names.identities() : names.policies();
            // it reads the table to delete what the file no longer has
            expected.add(new Acl(l, "topic", topic, "literal", "Read"));
            expected.add(new Acl(l, "topic", topic, "literal", "Write"));
            expected.add(new Acl(l, "transactionalId", "caddy-lightstep-load-" + topic, "literal", "Write"));
        }

        String shipper = "caddy-lightstep-shipper";
        expected.add(new Acl(shipper, "topic", config.topics().access(), "literal", "Write"));
        expected.add(new Acl(shipper, "topic", config.topics().accessDeadLetters(), "literal", "Write"));

        String keda = kedaUser(objects);
        for (ObjectNode so : Workloads.ofKind(objects, "ScaledObject")) {
            for (JsonNode trigger : so.path("spec").path("triggers")) {
                expected.add(new Acl(keda, "topic", trigger.path("metadata").path("topic").asText(), "literal", "Describe"));
                expected.add(new Acl(keda, "group", trigger.path("metadata").path("consumerGroup").asText(), "literal", "Describe"));
            }
        }
        return expected;
    }

    static List<ObjectNode> loaderJobs(Path jobs) {
        List<ObjectNode> all = new ArrayList<>();
        for (Path file : DeployFiles.yamlFiles(jobs)) {
            all.addAll(DeployFiles.documents(file));
        }
        return all;
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theUsersMayDoExactlyWhatEachPartOfTheApplicationDoes(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        Set<Acl> expected = expectedAcls(objects, DeployFiles.path("kubernetes/jobs"));
        assertThat(aclsOf(objects)).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theStreamsUserMayMakeEveryInternalTopicUnderTheApplicationIdPrefix(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        Workloads.Container streams = Workloads.runContainer(objects, "streams");
        Settings settings = streams.settings();
        String applicationId = String.valueOf(settings.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG));
        Set<String> internal = streamsInternalTopics(PipelineConfig.from(settings), applicationId);
        assertThat(internal).anyMatch(t -> t.endsWith("-repartition")).anyMatch(t -> t.endsWith("-changelog"));
        Set<Acl> acls = aclsOf(objects);
        for (String topic : internal) {
            for (String op : List.of("Create", "Read", "Write")) {
                assertThat(acls).as(topic + " " + op).anyMatch(a -> a.user().equals(userOf(streams)) && a.type().equals("topic")
                        && a.pattern().equals("prefix") && topic.startsWith(a.name()) && a.operation().equals(op));
            }
            assertThat(strimziTopics(objects)).as("Streams makes " + topic + " itself").doesNotContainKey(topic);
        }
    }

    // ---- environment and configuration

    static void assertReadByTheConfiguration(String name, String where) {
        if (name.startsWith("CADDY_")) {
            assertThat(ConfigKeys.all()).as(where + ": " + name + " sets a caddy.* key")
                    .anySatisfy(key -> assertThat(ConfigKeys.environmentVariable(key)).isEqualTo(name));
        } else if (name.startsWith("KAFKA_")) {
            Map<String, Object> baseline = Settings.load(null, Map.of(), Map.of()).kafka();
            assertThat(Settings.load(null, Map.of(name, "x"), Map.of()).kafka()).as(where + ": " + name + " sets a Kafka property")
                    .hasSize(baseline.size() + 1);
        } else if (name.startsWith("OTEL_")) {
            assertThat(OTEL_VARIABLES).as(where + ": " + name + " is an OpenTelemetry variable the application reads").contains(name);
            assertThat(Settings.load(null, Map.of(name, "x"), Map.of()).openTelemetryEnvironment()).containsKey(name);
        } else {
            assertThat(name).as(where + ": an environment variable the configuration does not read").isEqualTo(Settings.LIGHTSTEP_TOKEN);
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyEnvironmentVariableIsOneTheConfigurationReads(String kustomization) {
        List<Workloads.Container> containers = Workloads.containers(render(kustomization));
        assertThat(containers).hasSize(2);
        for (Workloads.Container c : containers) {
            c.environment().keySet().forEach(name -> assertReadByTheConfiguration(name, c.where()));
            // and the whole configuration loads: unknown caddy.* keys and bad values stop the start
            PipelineConfig.from(c.settings());
            ForwarderSettings.from(c.settings());
        }
    }

    @Test
    void theLoaderJobsSetOnlyVariablesTheConfigurationReadsAndLoadTheirTable() {
        List<Workloads.Container> loaders = Workloads.containers(loaderJobs(DeployFiles.path("kubernetes/jobs")));
        assertThat(loaders).hasSize(2);
        Set<String> tables = new TreeSet<>();
        for (Workloads.Container c : loaders) {
            assertThat(c.command()).isEqualTo("load");
            tables.add(c.commandLine().subcommand().matchedPositionalValue(0, null).toString());
            c.environment().keySet().forEach(name -> assertReadByTheConfiguration(name, c.where()));
            assertThat(c.settings().kafka()).containsKeys("bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.jaas.config");
        }
        assertThat(tables).containsExactly("identities", "policies");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theKafkaConnectionOfEveryPartIsTheSameSecuredOne(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        List<Workloads.Container> all = new ArrayList<>(Workloads.containers(objects));
        all.addAll(Workloads.containers(loaderJobs(DeployFiles.path("kubernetes/jobs"))));
        for (Workloads.Container c : all) {
            Map<String, Object> kafka = c.settings().kafka();
            assertThat(kafka).as(c.where()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsKey("sasl.jaas.config");
            String truststore = String.valueOf(kafka.get("ssl.truststore.location"));
            assertThat(c.container().path("volumeMounts")).as(c.where() + " mounts " + truststore)
                    .anyMatch(m -> truststore.startsWith(m.path("mountPath").asText() + "/"));
        }
    }

    // ---- HTTP

    private int status(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void probesAndPortsAreThoseOfTheHttpServer(String kustomization) throws Exception {
        for (Workloads.Container c : Workloads.containers(render(kustomization))) {
            HttpSettings settings = HttpSettings.from(c.settings());
            assertThat(settings.host()).as(c.where() + ": caddy.http.host, reachable from outside the pod").isEqualTo("0.0.0.0");
            assertThat(c.port("http")).as(c.where() + " port http = caddy.http.port").isEqualTo(settings.port());
            Map<String, String> paths = Map.of("startupProbe", "/health/live", "livenessProbe", "/health/live", "readinessProbe", "/health/ready");
            for (Map.Entry<String, String> probe : paths.entrySet()) {
                JsonNode get = c.container().path(probe.getKey()).path("httpGet");
                assertThat(get.path("path").asText()).as(c.where() + " " + probe.getKey()).isEqualTo(probe.getValue());
                assertThat(c.resolvePort(get.path("port"))).as(c.where() + " " + probe.getKey() + " port").isEqualTo(settings.port());
                assertThat(status(get.path("path").asText())).as("the HTTP server answers " + get.path("path").asText()).isEqualTo(200);
            }
            JsonNode annotations = c.workload().path("spec").path("template").path("metadata").path("annotations");
            assertThat(annotations.path("prometheus.io/port").asInt()).isEqualTo(settings.port());
            assertThat(status(annotations.path("prometheus.io/path").asText())).as("the metrics path").isEqualTo(200);
        }
        assertThat(status("/no-such-endpoint")).as("an unknown path is not served").isEqualTo(404);
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void servicesAndDisruptionBudgetsSelectTheirWorkloadAndPort(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        List<Workloads.Container> containers = Workloads.containers(objects);
        for (String kind : List.of("Service", "PodDisruptionBudget")) {
            for (ObjectNode o : Workloads.ofKind(objects, kind)) {
                JsonNode selector = kind.equals("Service") ? o.path("spec").path("selector") : o.path("spec").path("selector").path("matchLabels");
                List<Workloads.Container> selected = containers.stream().filter(c -> {
                    JsonNode labels = c.workload().path("spec").path("template").path("metadata").path("labels");
                    Set<Boolean> all = new LinkedHashSet<>();
                    selector.fields().forEachRemaining(e -> all.add(e.getValue().asText().equals(labels.path(e.getKey()).asText())));
                    return !all.contains(false);
                }).toList();
                assertThat(selected).as(kind + "/" + o.path("metadata").path("name").asText() + " selects one workload").hasSize(1);
                for (JsonNode port : o.path("spec").path("ports")) {
                    assertThat(selected.get(0).resolvePort(port.path("targetPort"))).isEqualTo(HttpSettings.from(selected.get(0).settings()).port());
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theWorkloadsRunEachRoleOnceWithTheImageJibBuilds(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        assertThat(Workloads.runContainer(objects, "streams").workload().path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(Workloads.runContainer(objects, "forwarder").workload().path("kind").asText()).isEqualTo("Deployment");
        JibImage jib = JibImage.fromPom();
        for (Workloads.Container c : Workloads.containers(objects)) {
            assertThat(c.container().path("image").asText()).as(c.where()).isEqualTo(jib.reference());
            assertThat(c.podSpec().path("securityContext").path("runAsUser").asText()).as(c.where() + " runs as the image's user").isEqualTo(jib.uid());
            assertThat(jib.ports()).contains(c.port("http"));
        }
        for (Workloads.Container c : Workloads.containers(loaderJobs(DeployFiles.path("kubernetes/jobs")))) {
            assertThat(c.container().path("image").asText()).as(c.where()).isEqualTo(jib.reference());
        }
        jib.environment().keySet().forEach(name -> assertReadByTheConfiguration(name, "the image's environment"));
    }

    // ---- KEDA

    @ParameterizedTest
    @MethodSource("kustomizations")
    void kedaScalesEachRoleOnItsGroupsLagUpToThePartitionsOfItsTopic(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        Map<String, JsonNode> topics = strimziTopics(objects);
        List<ObjectNode> scaled = Workloads.ofKind(objects, "ScaledObject");
        assertThat(scaled).hasSize(2);
        for (ObjectNode so : scaled) {
            JsonNode spec = so.path("spec");
            JsonNode ref = spec.path("scaleTargetRef");
            Workloads.Container target = Workloads.containers(objects).stream()
                    .filter(c -> c.workload().path("kind").asText().equals(ref.path("kind").asText()) && c.name().equals(ref.path("name").asText()))
                    .findFirst().orElseThrow(() -> new AssertionError("ScaledObject target " + ref + " is not in the manifests"));
            assertThat(target.workload().path("spec").has("replicas")).as(target.where() + " leaves its replica count to KEDA").isFalse();
            Settings settings = target.settings();
            String group = target.role().equals("streams")
                    ? String.valueOf(settings.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG)) : ForwarderSettings.from(settings).groupId();
            String topic = target.role().equals("streams") ? settings.topicNames().access() : settings.topicNames().spans();
            assertThat(spec.path("triggers")).hasSize(1);
            JsonNode trigger = spec.path("triggers").get(0);
            assertThat(trigger.path("type").asText()).isEqualTo("kafka");
            JsonNode metadata = trigger.path("metadata");
            assertThat(metadata.path("consumerGroup").asText()).as(target.where() + " consumer group").isEqualTo(group);
            assertThat(metadata.path("topic").asText()).as(target.where() + " topic").isEqualTo(topic);
            assertThat(metadata.path("bootstrapServers").asText()).isEqualTo(settings.kafka().get("bootstrap.servers"));
            assertThat(Long.parseLong(metadata.path("lagThreshold").asText())).isPositive();
            int partitions = topics.get(topic).path("spec").path("partitions").asInt();
            assertThat(spec.path("maxReplicaCount").asInt()).as(so.path("metadata").path("name").asText() + " maxReplicaCount").isEqualTo(partitions);
            assertThat(spec.path("minReplicaCount").asInt()).isBetween(1, partitions);
            String auth = trigger.path("authenticationRef").path("name").asText();
            assertThat(Workloads.find(objects, "TriggerAuthentication", auth)).as("TriggerAuthentication " + auth).isPresent();
        }
    }

    // ---- references

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everySecretReferencedIsMadeByStrimziTheManifestsOrTheDocumentedExample(String kustomization) {
        List<ObjectNode> objects = render(kustomization);
        String cluster = Workloads.ofKind(objects, "KafkaUser").get(0).path("metadata").path("labels").path("strimzi.io/cluster").asText();
        Map<String, Set<String>> secrets = new HashMap<>();
        Workloads.ofKind(objects, "KafkaUser").forEach(u -> secrets.put(u.path("metadata").path("name").asText(), Set.of("password", "sasl.jaas.config")));
        secrets.put(cluster + "-cluster-ca-cert", Set.of("ca.crt"));
        List<ObjectNode> withExample = new ArrayList<>(objects);
        withExample.addAll(DeployFiles.documents(DeployFiles.path("kubernetes/secret.example.yaml")));
        for (ObjectNode secret : Workloads.ofKind(withExample, "Secret")) {
            Set<String> keys = new TreeSet<>();
            secret.path("stringData").fieldNames().forEachRemaining(keys::add);
            secret.path("data").fieldNames().forEachRemaining(keys::add);
            secrets.put(secret.path("metadata").path("name").asText(), keys);
        }
        List<String[]> references = new ArrayList<>();
        List<Workloads.Container> containers = new ArrayList<>(Workloads.containers(objects));
        containers.addAll(Workloads.containers(loaderJobs(DeployFiles.path("kubernetes/jobs"))));
        for (Workloads.Container c : containers) {
            for (JsonNode e : c.container().path("env")) {
                JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                if (!ref.isMissingNode()) {
                    references.add(new String[] {c.where(), ref.path("name").asText(), ref.path("key").asText()});
                }
            }
            for (JsonNode v : c.podSpec().path("volumes")) {
                for (JsonNode item : v.path("secret").path("items")) {
                    references.add(new String[] {c.where(), v.path("secret").path("secretName").asText(), item.path("key").asText()});
                }
            }
        }
        for (ObjectNode auth : Workloads.ofKind(objects, "TriggerAuthentication")) {
            for (JsonNode ref : auth.path("spec").path("secretTargetRef")) {
                references.add(new String[] {"TriggerAuthentication", ref.path("name").asText(), ref.path("key").asText()});
            }
        }
        assertThat(references).hasSizeGreaterThan(8);
        for (String[] r : references) {
            assertThat(secrets).as(r[0] + " refers to Secret " + r[1]).containsKey(r[1]);
            assertThat(secrets.get(r[1])).as(r[0] + " refers to key " + r[2] + " of Secret " + r[1]).contains(r[2]);
        }
    }

    /** Kafka Streams makes its changelog and repartition topics itself: in production, with as many replicas as the KafkaTopics. */
    @Test
    void productionStreamsReplicateTheirOwnTopicsAsTheKafkaTopicsAre() {
        List<ObjectNode> production = render("kubernetes/overlays/production");
        Map<String, Object> streams = Workloads.runContainer(production, "streams").settings().kafka();
        for (JsonNode topic : strimziTopics(production).values()) {
            assertThat(streams).as(topic.path("spec").path("topicName").asText())
                    .containsEntry(StreamsConfig.REPLICATION_FACTOR_CONFIG, topic.path("spec").path("replicas").asText());
        }
    }

    @Test
    void theOverlaysKeepEveryObjectAndMakeTheirChanges() {
        Map<String, List<ObjectNode>> rendered = new HashMap<>();
        kustomizations().forEach(k -> rendered.put(k, render(k)));
        for (String k : rendered.keySet()) {
            assertThat(rendered.get(k)).as(k + " objects").hasSameSizeAs(rendered.get("kubernetes/base"));
        }
        List<ObjectNode> production = rendered.get("kubernetes/overlays/production");
        Workloads.ofKind(production, "ScaledObject").forEach(so -> assertThat(so.path("spec").path("minReplicaCount").asInt()).isGreaterThanOrEqualTo(2));
        assertThat(Workloads.runContainer(production, "streams").settings().kafka()).containsEntry("num.standby.replicas", "1");
        Workloads.ofKind(rendered.get("kubernetes/overlays/dev"), "KafkaTopic")
                .forEach(t -> assertThat(t.path("spec").path("replicas").asInt()).isEqualTo(1));
    }
}
