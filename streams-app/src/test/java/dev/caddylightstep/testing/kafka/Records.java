package dev.caddylightstep.testing.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producing and reading raw records of a real broker in tests; reads are read_committed, as a real consumer's. */
public final class Records {
    private Records() {
    }

    public static void produce(String bootstrapServers, String topic, List<byte[]> values) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(values.size());
            for (byte[] value : values) {
                sent.add(producer.send(new ProducerRecord<>(topic, value)));
            }
            producer.flush();
            // a send that failed would leave the test short of input and failing far from the cause
            for (Future<RecordMetadata> send : sent) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("a test record could not be produced to " + topic + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing to " + topic, e);
        }
    }

    /**
     * Reads the topic from the beginning until {@code done} holds for what was read or the timeout passes,
     * then a little longer, so that a test also sees records beyond what it expected.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(String bootstrapServers, String topic,
                                                                 Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        follow(bootstrapServers, topic, read::add, () -> done.test(read), timeout);
        return read;
    }

    /**
     * Hands every record of the topic, from the beginning, to {@code each} until {@code done} or the timeout,
     * then a little longer, so that a test also sees records beyond what it expected.
     */
    public static void follow(String bootstrapServers, String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each,
                              java.util.function.BooleanSupplier done, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
            long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < settle) {
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    /** The sum of the topic's end offsets: how far producers got, transaction markers included. */
    public static long endOffsets(String bootstrapServers, String topic) {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka(bootstrapServers))) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new java.util.HashMap<>();
            partitions.forEach(p -> request.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
            return admin.listOffsets(request).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(String bootstrapServers, String topic, int count, Duration timeout) {
        return readUntil(bootstrapServers, topic, read -> read.size() >= count, timeout);
    }

    public static Map<String, Object> kafka(String bootstrapServers) {
        return Map.of("bootstrap.servers", bootstrapServers);
    }
}
