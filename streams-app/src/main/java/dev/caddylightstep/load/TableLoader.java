package dev.caddylightstep.load;

import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.topics.Topic;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Makes a compacted table topic (identities, policies) equal the entries of a file, in one transaction: entries that
 * are new or changed are written, and keys the file no longer has are deleted with tombstones, so that readers see the
 * old table or the new one, never a mix. The table is read first, read_committed to its end. Every record is stamped
 * with time 0: an entry loaded from a file has always been valid (and a deleted one never was), so a request of any
 * time meets it, whichever of the two topics a task happens to read first.
 */
public final class TableLoader {
    private static final int TIMEOUT_MS = 15_000;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    /** What becomes of the table's keys that the file does not have. */
    public enum Absent {
        /** Deleted: the table equals the file. */
        DELETED,
        /** Kept: the file only adds and updates (load --merge). */
        KEPT
    }

    /**
     * @param read    entries in the file
     * @param written entries written because the table did not have them or had another value
     * @param deleted keys deleted because the file does not have them
     */
    public record Outcome(int read, int written, int deleted) {
        /** {@code loaded N, updated M, deleted K}, what {@code load} prints. */
        public String summary() {
            return "loaded " + read + ", updated " + written + ", deleted " + deleted;
        }
    }

    private TableLoader() {
    }

    /** Makes the table equal the entries. */
    public static <V> Outcome load(Map<String, Object> kafka, Topic<String, V> topic, List<V> entries, Function<V, String> keyOf) {
        return load(kafka, topic, entries, keyOf, Absent.DELETED);
    }

    public static <V> Outcome load(Map<String, Object> kafka, Topic<String, V> topic, List<V> entries, Function<V, String> keyOf,
                                   Absent absent) {
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.producer(kafka));
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "caddy-lightstep-load-" + topic.name());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, TIMEOUT_MS);
        Serializer<V> values = topic.valueSerde().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, topic.keySerde().serializer(), new ByteArraySerializer())) {
            // completes or aborts a load of this table left open, and fences one still running: the table read next is
            // the one this transaction replaces
            producer.initTransactions();
            Map<String, byte[]> table = read(kafka, topic);
            producer.beginTransaction();
            try {
                int written = 0;
                for (V entry : entries) {
                    String key = keyOf.apply(entry);
                    byte[] value = values.serialize(topic.name(), entry);
                    if (!Arrays.equals(table.remove(key), value)) {
                        producer.send(new ProducerRecord<>(topic.name(), null, 0L, key, value));
                        written++;
                    }
                }
                int deleted = 0;
                if (absent == Absent.DELETED) {
                    for (String key : table.keySet()) {
                        producer.send(new ProducerRecord<>(topic.name(), null, 0L, key, (byte[]) null));
                        deleted++;
                    }
                }
                producer.commitTransaction();
                return new Outcome(entries.size(), written, deleted);
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw e;
            }
        }
    }

    /** The table as committed: the latest value of each key, tombstoned keys left out, read to the end offsets. */
    private static Map<String, byte[]> read(Map<String, Object> kafka, Topic<String, ?> topic) {
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.consumer(kafka));
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        Map<String, byte[]> table = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, topic.keySerde().deserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic.name());
            if (partitions == null || partitions.isEmpty()) {
                throw new KafkaException("topic " + topic.name() + " does not exist (topics create makes it)");
            }
            List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            // read_committed: the end is the last stable offset, past every committed transaction
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TimeoutException("could not read " + topic.name() + " to its end within " + READ_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        table.remove(record.key());
                    } else {
                        table.put(record.key(), record.value());
                    }
                }
            }
        }
        return table;
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }
}
