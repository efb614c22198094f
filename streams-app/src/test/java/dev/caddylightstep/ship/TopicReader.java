package dev.caddylightstep.ship;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic back as a read_committed consumer sees it, without a consumer group. */
public final class TopicReader {
    private TopicReader() {
    }

    /**
     * Every record of the topic from the beginning: waits until there are at least {@code atLeast}, then reads on
     * to the end offsets of that moment, so that extra records (duplicates) are seen too.
     */
    public static List<ConsumerRecord<byte[], byte[]>> records(String bootstrap, String topic, int atLeast, Duration timeout) {
        return records(bootstrap, topic, read -> read.size() >= atLeast, timeout);
    }

    /** The values as UTF-8 text once {@code distinct} different values arrived: duplicates do not count towards it. */
    public static List<String> valuesOnceDistinct(String bootstrap, String topic, int distinct, Duration timeout) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        int[] counted = {0};
        return records(bootstrap, topic, read -> {
            for (; counted[0] < read.size(); counted[0]++) {
                seen.add(new String(read.get(counted[0]).value(), StandardCharsets.UTF_8));
            }
            return seen.size() >= distinct;
        }, timeout).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(String bootstrap, String topic,
                                                                java.util.function.Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** The values as UTF-8 text, in topic order (one partition: the order they were produced). */
    public static List<String> values(String bootstrap, String topic, int atLeast, Duration timeout) {
        return records(bootstrap, topic, atLeast, timeout).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    /** How many records the topic holds (sum of end offsets; exact for a topic without transactions). */
    public static long count(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
