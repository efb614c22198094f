package dev.caddylightstep.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker of a session (the demo's, the tests'): what it keeps of a replayed log. */
class EmbeddedKafkaTest {
    /** The log cleaner's pass interval on a broker with Kafka's defaults (log.cleaner.backoff.ms). */
    private static final Duration DEFAULT_CLEANER_PASS = Duration.ofSeconds(15);

    @Test
    void aNewBrokerResumesTheDataDirectoryOfAStoppedOne(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("broker");
        String topic = "resumed";
        try (EmbeddedKafka first = EmbeddedKafka.builder().dataDir(data).build().start()) {
            first.createTopics(List.of(new NewTopic(topic, 1, (short) 1)));
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, "kept".getBytes(StandardCharsets.UTF_8))).get();
            }
        }

        // another process's broker, as after a restart: a new object on the same directory
        try (EmbeddedKafka second = EmbeddedKafka.builder().dataDir(data).build().start()) {
            assertThat(TopicRecords.readAtLeast(second.bootstrapServers(), topic, 1, Duration.ofSeconds(10)))
                    .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
                    .containsExactly("kept");
        }
    }

    /**
     * The controller answers a creation once it has decided it, and the broker learns of the topic a moment later: a
     * client that asked the broker in between (a shipper checking its topics) was told the topic does not exist.
     */
    @Test
    void everyTopicItCreatedIsThereForTheNextClientToAsk() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            for (int i = 0; i < 40; i++) {
                String topic = "created-" + i;
                kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1), new NewTopic(topic + ".dlq", 1, (short) 1)));
                try (Admin admin = kafka.admin()) {
                    assertThat(admin.describeTopics(List.of(topic, topic + ".dlq")).allTopicNames().get()).containsOnlyKeys(topic, topic + ".dlq");
                }
            }
        }
    }

    @Test
    void windowsOfALogOlderThanTheAggregatesRetentionOutliveTheLogCleanersPass() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            NewTopic byGroup = TopicLayout.topics(TopicNames.DEFAULTS, 1, (short) 1).stream()
                    .filter(topic -> topic.name().equals(TopicNames.DEFAULTS.latencyByGroup()))
                    .findFirst().orElseThrow();
            kafka.createTopics(List.of(byGroup));
            // windows of a log Caddy wrote eight days ago: past the aggregates' week, as a replayed capture is
            long windowStart = Instant.now().minus(Duration.ofDays(8)).toEpochMilli();
            List<String> windows = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                windows.add("engineering@" + (windowStart + i * 60_000L));
            }
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < windows.size(); i++) {
                    byte[] key = windows.get(i).getBytes(StandardCharsets.UTF_8);
                    producer.send(new ProducerRecord<>(byGroup.name(), null, windowStart + i * 60_000L, key, key)).get();
                }
            }

            Thread.sleep(DEFAULT_CLEANER_PASS.plusSeconds(5).toMillis());

            assertThat(TopicRecords.readAtLeast(kafka.bootstrapServers(), byGroup.name(), windows.size(), Duration.ofSeconds(10)))
                    .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(windows);
        }
    }
}
