package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.broker.EmbeddedKafka;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The ceiling: one thread copies every record of the input topic to an output topic with a plain consumer and
 * producer, configured as the pipeline's clients are (lz4, 256 KB batches, 20 ms linger, acks=all, idempotent,
 * read_committed, up to 1,000 records a poll, 8 MiB fetches per partition), committing its offsets once a second after
 * a flush.
 */
final class PassThroughLane implements Lane {
    private static final String THREAD = "bench-pass-through";
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String bootstrapServers;
    private final String prefix;
    private final String input;
    private final String output;
    private final String groupId;
    private final ConsumedInput consumedInput = new ConsumedInput();
    private volatile boolean running = true;
    /** Asked by {@link #pause} and {@link #resume}; guarded by this. */
    private boolean pauseWanted;
    /** Whether the copying thread has paused its consumer as asked; guarded by this. */
    private boolean pauseApplied;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;

    PassThroughLane(EmbeddedKafka kafka, String prefix, int partitions) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.prefix = prefix;
        this.input = prefix + "in";
        this.output = prefix + "out";
        this.groupId = prefix + "copy";
        kafka.createTopics(List.of(new NewTopic(input, partitions, (short) 1), new NewTopic(output, partitions, (short) 1)));
    }

    @Override
    public String name() {
        return "pass-through";
    }

    @Override
    public boolean doesWork(String threadKind) {
        return threadKind.equals(THREAD);
    }

    @Override
    public String topicPrefix() {
        return prefix;
    }

    @Override
    public String inputTopic() {
        return input;
    }

    @Override
    public OutputWatch watch() {
        return new OutputWatch(bootstrapServers, List.of(output), output, null, Set.of(), null);
    }

    @Override
    public boolean isComplete(OutputWatch.Tally tally, Expected expected) {
        return tally.count(output) >= expected.lines();
    }

    @Override
    public ConsumedInput consumedInput() {
        return consumedInput;
    }

    @Override
    public void start() {
        Map<String, Object> consumerConfig = new HashMap<>();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1_000);
        consumerConfig.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, groupId);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerConfig.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        thread = new Thread(() -> copy(producer), THREAD);
        thread.start();
    }

    private void copy(KafkaProducer<byte[], byte[]> producer) {
        try (producer) {
            consumer.subscribe(List.of(input));
            long lastCommit = System.nanoTime();
            while (running) {
                followPause();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    consumedInput.add(records.count());
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    producer.send(new ProducerRecord<>(output, null, record.timestamp(), record.key(), record.value()));
                }
                if (System.nanoTime() - lastCommit >= COMMIT_INTERVAL_NANOS) {
                    producer.flush();
                    consumer.commitSync();
                    lastCommit = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Pauses or resumes the consumer as asked, on the copying thread: a {@code KafkaConsumer} is not for two threads.
     * Partitions assigned while paused are paused too.
     */
    private void followPause() {
        boolean wanted;
        synchronized (this) {
            wanted = pauseWanted;
        }
        if (wanted) {
            consumer.pause(consumer.assignment());
        } else if (!consumer.paused().isEmpty()) {
            consumer.resume(consumer.paused());
        }
        synchronized (this) {
            pauseApplied = wanted;
            notifyAll();
        }
    }

    @Override
    public synchronized void pause() throws InterruptedException {
        pauseWanted = true;
        while (!pauseApplied) {
            wait();
        }
    }

    @Override
    public synchronized void resume() {
        pauseWanted = false;
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
