package dev.caddylightstep.testing.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The raw records of a topic on a real broker, as a test produces them and as a read_committed consumer reads them
 * back: from the beginning of every partition, without a consumer group, so a read leaves nothing behind on the broker.
 */
public final class TopicRecords {
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long reading on to the end offsets may take: longer than a transaction open then takes to end (Streams': 10 s). */
    private static final Duration TO_THE_END = Duration.ofSeconds(30);

    private TopicRecords() {
    }

    public static void produce(String bootstrapServers, String topic, List<byte[]> values) {
        produce(bootstrapServers, topic, null, values);
    }

    /** The values to one partition of the topic, or to partitions the producer chooses when {@code partition} is null. */
    public static void produce(String bootstrapServers, String topic, Integer partition, List<byte[]> values) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // one request at a time: a topic made moments before may refuse a partition's first batch (not yet its leader)
        // and take the next one, after which the broker refuses the first batch's retry as out of order, for good
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(values.size());
            for (byte[] value : values) {
                sent.add(producer.send(new ProducerRecord<>(topic, partition, null, value)));
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
     * Every committed record of the topic from the beginning: read until {@code done} holds for what was read or the
     * timeout passes, then on to the end offsets the topic had at that moment, so that records beyond what the test
     * waited for (duplicates) are seen too. The end offsets are the log's own, not the last stable offset: records of
     * a transaction still open then are waited for, and read if it commits. That read is not cut short by the timeout:
     * with a timeout of zero and a condition that holds at once, this is every record committed now.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(String bootstrapServers, String topic,
                                                                 Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            while (!done.test(read) && System.nanoTime() < deadline) {
                consumer.poll(POLL).forEach(read::add);
            }
            Map<TopicPartition, Long> end = endOffsets(bootstrapServers, partitions);
            long endDeadline = System.nanoTime() + TO_THE_END.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < endDeadline) {
                consumer.poll(POLL).forEach(read::add);
            }
            return read;
        }
    }

    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(String bootstrapServers, String topic, int count, Duration timeout) {
        return readUntil(bootstrapServers, topic, read -> read.size() >= count, timeout);
    }

    /** The values as UTF-8 text, in topic order (one partition: the order they were produced), once there are {@code atLeast}. */
    public static List<String> values(String bootstrapServers, String topic, int atLeast, Duration timeout) {
        return text(readAtLeast(bootstrapServers, topic, atLeast, timeout));
    }

    /** The values as UTF-8 text once {@code distinct} different values arrived: duplicates do not count towards it. */
    public static List<String> valuesOnceDistinct(String bootstrapServers, String topic, int distinct, Duration timeout) {
        Set<String> seen = new HashSet<>();
        int[] counted = {0};
        return text(readUntil(bootstrapServers, topic, read -> {
            for (; counted[0] < read.size(); counted[0]++) {
                seen.add(new String(read.get(counted[0]).value(), StandardCharsets.UTF_8));
            }
            return seen.size() >= distinct;
        }, timeout));
    }

    /**
     * The sum of the topic's end offsets: how far producers got, transaction markers included; for a topic written
     * without transactions, how many records it holds.
     */
    public static long endOffsets(String bootstrapServers, String topic) {
        try (Admin admin = admin(bootstrapServers)) {
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return endOffsets(admin, partitions, IsolationLevel.READ_UNCOMMITTED).values().stream().mapToLong(Long::longValue).sum();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** How far a consumer group (a Streams application's id) has committed in the topic: its offsets summed over partitions. */
    public static long committedOffsets(String bootstrapServers, String group, String topic) {
        try (Admin admin = admin(bootstrapServers)) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the offsets of group " + group + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Where each partition of the topics whose names contain {@code namePart} stands, for a failure's message: its end
     * offset, its last stable offset (what read_committed readers reach: short of the end while a transaction is open
     * below it), and the group's committed offset; then the transactions still open on the broker.
     */
    public static String progress(String bootstrapServers, String group, String namePart) {
        try (Admin admin = admin(bootstrapServers)) {
            List<String> topics = admin.listTopics().names().get().stream().filter(t -> t.contains(namePart)).sorted().toList();
            List<TopicPartition> partitions = new ArrayList<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((topic, description) -> description.partitions()
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
            partitions.sort(Comparator.comparing(TopicPartition::topic).thenComparing(TopicPartition::partition));
            Map<TopicPartition, Long> ends = endOffsets(admin, partitions, IsolationLevel.READ_UNCOMMITTED);
            Map<TopicPartition, Long> stable = endOffsets(admin, partitions, IsolationLevel.READ_COMMITTED);
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            StringBuilder text = new StringBuilder();
            for (TopicPartition p : partitions) {
                text.append(p).append(": end ").append(ends.get(p)).append(", stable ").append(stable.get(p));
                if (committed.get(p) != null) {
                    text.append(", committed ").append(committed.get(p).offset());
                }
                text.append('\n');
            }
            admin.listTransactions().all().get().stream().filter(t -> t.state() == TransactionState.ONGOING)
                    .forEach(t -> text.append("open transaction ").append(t.transactionalId()).append('\n'));
            return text.toString();
        } catch (ExecutionException e) {
            return "(cannot read the broker's offsets: " + e.getCause() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted reading the broker's offsets)";
        }
    }

    private static Map<TopicPartition, Long> endOffsets(String bootstrapServers, List<TopicPartition> partitions) {
        try (Admin admin = admin(bootstrapServers)) {
            return endOffsets(admin, partitions, IsolationLevel.READ_UNCOMMITTED);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the end offsets of " + partitions + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The end offsets as a reader of this isolation sees them: READ_UNCOMMITTED the log end offsets, which a
     * read_committed consumer reaches once every transaction below them ended; READ_COMMITTED the last stable offsets.
     */
    private static Map<TopicPartition, Long> endOffsets(Admin admin, List<TopicPartition> partitions, IsolationLevel isolation)
            throws ExecutionException, InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        Map<TopicPartition, Long> end = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all().get().forEach((p, offset) -> end.put(p, offset.offset()));
        return end;
    }

    private static List<String> text(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private static Admin admin(String bootstrapServers) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
