package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import dev.caddylightstep.testing.otlp.SpanRecords;
import dev.caddylightstep.topics.TopicLayout;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The identity and policy tables are written by `load`, but also by a CDC connector or a hand with kcat: a record that is
 * not the table's Avro (a connector left on its JSON converter) reaches the global thread, which reads both tables in
 * every instance. Kafka Streams 4.4's global thread has no producer for a dead letter and, handed one, failed with a
 * ClassCastException: every instance of the application stopped at the same record. And a global table was restored
 * at start from the topic's raw bytes, so that after a restart every request of the key was dead-lettered. The record
 * is skipped instead, as it comes and at start (a warning names it), and the table keeps what it had.
 */
@ExtendWith(SharedBroker.class)
class UnreadableTableRecordsTest {
    private static final byte[] JSON_POLICY = "{\"group\":\"engineering\",\"latency_slo_ms\":5}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] JSON_IDENTITY = "{\"id\":\"alice\",\"group\":\"support\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path stateDir;

    @Test
    void anUnreadableTableRecordArrivingWhileRunningIsSkippedAndTheTablesKeepWhatTheyHad(EmbeddedKafka kafka) throws Exception {
        PipelineConfig config = tables(kafka, "unreadable-table-records-running");
        Topics topics = Topics.of(config.topics());
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            unreadableRecords(kafka, topics);
            await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.streams().state() != KafkaStreams.State.RUNNING
                    || (has(pipeline, PipelineTopology.IDENTITIES_STORE, "bob") && has(pipeline, PipelineTopology.POLICIES_STORE, "sales")));
            assertThat(pipeline.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);

            aliceIsStillAnEngineerWithHerGroupsObjective(kafka, topics);
            assertThat(pipeline.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(droppedByTheGlobalTask(pipeline)).isEqualTo(2);
        }
    }

    @Test
    void anUnreadableTableRecordInTheTopicIsSkippedWhenTheTablesAreRestoredAtStart(EmbeddedKafka kafka) throws Exception {
        PipelineConfig config = tables(kafka, "unreadable-table-records-restored");
        Topics topics = Topics.of(config.topics());
        unreadableRecords(kafka, topics);
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();

            aliceIsStillAnEngineerWithHerGroupsObjective(kafka, topics);
            assertThat(pipeline.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(droppedByTheGlobalTask(pipeline)).isEqualTo(2);
        }
    }

    /** Kafka Streams' dropped-records-total of the global thread's task, whose id is -1_-1. */
    private static double droppedByTheGlobalTask(PipelineStreams pipeline) {
        return pipeline.streams().metrics().entrySet().stream()
                .filter(m -> m.getKey().name().equals("dropped-records-total") && "-1_-1".equals(m.getKey().tags().get("task-id")))
                .mapToDouble(m -> ((Number) m.getValue().metricValue()).doubleValue()).sum();
    }

    /** The application's topics, with alice in engineering and engineering's objective of 1,000 ms loaded. */
    private PipelineConfig tables(EmbeddedKafka kafka, String owner) {
        Map<String, String> settings = new HashMap<>(SharedBroker.ownNames(owner));
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("state.dir", stateDir.toString());
        PipelineConfig config = PipelineConfig.from(Settings.of(settings));
        Topics topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), 1, (short) 1));
        TableLoader.load(config.kafka(), topics.identities(), List.of(new Identity("alice", "engineering", "acme", List.of())), Identity::id);
        TableLoader.load(config.kafka(), topics.policies(), List.of(
                Policy.of("engineering", List.of(AccessRule.parse("* /**")), List.of(), 1000L)), Policy::group);
        return config;
    }

    /**
     * JSON for engineering's policy and alice's identity, then readable entries for others (not with TableLoader: the table
     * equals what it loads, and it would delete the others): once the global thread has these, it has passed the JSON.
     */
    private static void unreadableRecords(EmbeddedKafka kafka, Topics topics) throws Exception {
        produce(kafka, topics.policies().name(), "engineering", JSON_POLICY);
        produce(kafka, topics.identities().name(), "alice", JSON_IDENTITY);
        produce(kafka, topics.identities().name(), "bob",
                topics.identities().valueSerde().serializer().serialize(topics.identities().name(), new Identity("bob", "sales", "acme", List.of())));
        produce(kafka, topics.policies().name(), "sales",
                topics.policies().valueSerde().serializer().serialize(topics.policies().name(), Policy.of("sales", List.of(), List.of(), 500L)));
    }

    private static void aliceIsStillAnEngineerWithHerGroupsObjective(EmbeddedKafka kafka, Topics topics) {
        List<String> alices = CaddyCapture.lines("access.log").stream().filter(line -> line.contains("\"user_id\":\"alice\"")).limit(10)
                .map(line -> CaddyCapture.withField(line, "ts", BigDecimal.valueOf(System.currentTimeMillis()).movePointLeft(3)))
                .toList();
        TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(),
                alices.stream().map(line -> line.getBytes(StandardCharsets.UTF_8)).toList());
        List<ReceivedSpan> spans = SpanRecords.spans(SpanRecords.readRequests(kafka.bootstrapServers(), topics.spans().name(),
                alices.size(), Duration.ofSeconds(60)));

        assertThat(spans).filteredOn(span -> span.attribute("enduser.id").isPresent())
                .hasSize(alices.size())
                .allSatisfy(span -> {
                    assertThat(span.attribute("edge.group").orElseThrow().getStringValue()).isEqualTo("engineering");
                    assertThat(span.attribute("edge.slo.ms").orElseThrow().getIntValue()).isEqualTo(1000L);
                });
    }

    private static void produce(EmbeddedKafka kafka, String topic, String key, byte[] value) throws Exception {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
        }
    }

    private static boolean has(PipelineStreams pipeline, String store, String key) {
        try {
            return pipeline.streams().store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore())).get(key) != null;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
