package dev.caddylightstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.CommandRun;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicNames;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code topics create} on a real broker: the topics as TopicLayout makes them, seen from the broker. */
@ExtendWith(SharedBroker.class)
class TopicsCommandTest {
    /** Before each topic's default name, so that the topics are this class's own on the broker the test classes share. */
    private static final String OWNER = "topics-command.";
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void createTopics(EmbeddedKafka shared) {
        kafka = shared;
        List<String> args = new ArrayList<>(List.of("topics", "create", "--bootstrap-servers", kafka.bootstrapServers(),
                "--set", "caddy.topics.partitions=2", "--set", "caddy.topics.min-insync-replicas=1"));
        TopicNames.of(spec -> OWNER + spec.defaultName()).asSettings().forEach((key, name) -> args.addAll(List.of("--set", key + "=" + name)));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    private static Config configOf(String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource)).all().get().get(resource);
        }
    }

    /**
     * A span written after a long outage carries the time Caddy logged its request, which may be older than the spans
     * topic's day of retention: with the log's time, the broker could delete the span before the forwarder reads it.
     */
    @Test
    void aSpanKeepsTheTimeItWasWrittenNotTheTimeCaddyLoggedItsRequest() throws Exception {
        long weekAgo = System.currentTimeMillis() - Duration.ofDays(7).toMillis();
        String line = CaddyCapture.withField(CaddyCapture.lines("access.log").get(0), "ts", BigDecimal.valueOf(weekAgo).movePointLeft(3));
        long beforeWrite = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(OWNER + "caddy.spans", null, weekAgo, null, line.getBytes(StandardCharsets.UTF_8))).get();
        }
        ConsumerRecord<byte[], byte[]> written = TopicRecords.readAtLeast(kafka.bootstrapServers(), OWNER + "caddy.spans", 1, Duration.ofSeconds(30)).get(0);

        assertThat(written.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(written.timestamp()).isGreaterThanOrEqualTo(beforeWrite);
        assertThat(configOf(OWNER + "caddy.spans").get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
    }

    /** The broker's default is 1 as well: only the source of the value tells that topics create set it. */
    @Test
    void everyTopicGetsTheMinInsyncReplicasAskedForAsATopicSetting() throws Exception {
        for (String topic : List.of("caddy.access", "caddy.access.dlq", "edge.identities", "edge.policies", "caddy.spans", "caddy.spans.dlq",
                "caddy.latency.by-group", "caddy.latency.by-route")) {
            ConfigEntry minInsync = configOf(OWNER + topic).get("min.insync.replicas");
            assertThat(minInsync.value()).as(topic).isEqualTo("1");
            assertThat(minInsync.source()).as(topic).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
    }

    @Test
    void theSpansDeadLetterTopicTakesRecordsOfFourMebibytes() throws Exception {
        assertThat(configOf(OWNER + "caddy.spans.dlq").get("max.message.bytes").value()).isEqualTo(Integer.toString(4 * 1024 * 1024));
    }
}
