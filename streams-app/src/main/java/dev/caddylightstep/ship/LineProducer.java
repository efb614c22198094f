package dev.caddylightstep.ship;

import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces log lines to the access topic with an idempotent producer (acks=all), so that retries inside one
 * run never repeat a line; lz4 and large batches for throughput. The record timestamp is the line's {@code ts}
 * (the shipper's clock for a line logged more than caddy.log.max-clock-skew ahead of it) and the key is the
 * configured field's value, or none. A line too long to ship, by the shipper's limit or
 * the broker's, goes to the dead-letter topic with its position instead; a line Kafka was away for is sent again.
 * Any other failure to deliver is fatal: it is kept and the shipper stops, so that nothing after the failed line is
 * checkpointed.
 */
final class LineProducer implements AutoCloseable {
    /** Called on the producer's thread once Kafka acknowledged a line (or its dead letter). */
    interface Delivery {
        void delivered();
    }

    private static final Logger LOG = LoggerFactory.getLogger(LineProducer.class);
    static final String SOURCE_FILE = "caddy.dlq.source.file";
    static final String SOURCE_OFFSET = "caddy.dlq.source.offset";
    static final String SOURCE_LENGTH = "caddy.dlq.source.length";
    private static final String STAGE = "ship";
    /** Room for the key, headers and record overhead on top of the longest line. */
    private static final int RECORD_OVERHEAD = 64 * 1024;

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String deadLetterTopic;
    private final String[] keyPath;
    private final int maxLineBytes;
    private final long maxClockSkewMs;
    private final ShipMetrics metrics;
    /** The producer's buffer.memory: what its records waiting to be sent may take. */
    private final long bufferBytes;
    /** Sends again, off the producer's thread: a line the broker found too large as a dead letter, a line Kafka was away for. */
    private final ExecutorService resending = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "ship-resend");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicReference<String> failure = new AtomicReference<>();
    private volatile boolean closing;
    private static final long RESEND_PAUSE_MS = 1_000;

    LineProducer(Map<String, Object> kafka, String topic, String deadLetterTopic, String keyField, int maxLineBytes, Duration maxClockSkew,
                 ShipMetrics metrics) {
        this.topic = topic;
        this.deadLetterTopic = deadLetterTopic;
        this.keyPath = LineFields.keyPath(keyField);
        this.maxLineBytes = maxLineBytes;
        this.maxClockSkewMs = maxClockSkew.toMillis();
        this.metrics = metrics;
        Map<String, Object> config = producerConfig(kafka, maxLineBytes, keyPath != null);
        this.bufferBytes = Long.parseLong(String.valueOf(config.getOrDefault(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024)).trim());
        try {
            this.producer = new KafkaProducer<>(config);
        } catch (KafkaException e) {
            throw new ShipException("cannot create the Kafka producer: " + rootMessage(e));
        }
    }

    /**
     * The Kafka settings that are producer properties ({@code producer.}-prefixed ones win), over the shipper's
     * defaults; idempotence and acks=all are not negotiable, the no-loss promise rests on them. A record holds a line
     * and, when {@code keyed}, a field of it as its key, at most as long again: a request takes both.
     */
    static Map<String, Object> producerConfig(Map<String, Object> kafka, int maxLineBytes, boolean keyed) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "caddy-lightstep-ship");
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                (int) Math.max(1024 * 1024, Math.min(Integer.MAX_VALUE, (keyed ? 2L : 1L) * maxLineBytes + RECORD_OVERHEAD)));
        // a batch Kafka has not acknowledged is retried until it is (unless configured otherwise): expired after the
        // default two minutes of an outage, its lines would be lost from a checkpoint that has moved past them
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        config.putAll(clientProperties(kafka, ProducerConfig.configNames(), "producer."));
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return config;
    }

    /**
     * Fails with a one-line {@link ShipException} unless Kafka answers and both topics exist; the shipper
     * must not start reading lines it cannot deliver.
     */
    static void verifyTopics(Map<String, Object> kafka, List<String> topics) {
        String bootstrap = String.valueOf(kafka.getOrDefault(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ""));
        if (bootstrap.isBlank()) {
            throw new ShipException("no Kafka bootstrap servers: pass --bootstrap-servers, or set bootstrap.servers in --config or KAFKA_BOOTSTRAP_SERVERS");
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        config.putAll(clientProperties(kafka, AdminClientConfig.configNames(), "admin."));
        int apiTimeout = Integer.parseInt(String.valueOf(config.get(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)));
        config.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(5_000, apiTimeout));
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "caddy-lightstep-ship-check");
        try (Admin admin = Admin.create(config)) {
            var described = admin.describeTopics(topics).topicNameValues();
            for (String name : topics) {
                try {
                    described.get(name).get(apiTimeout + 1_000L, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        throw new ShipException("topic " + name + " does not exist at " + bootstrap + ": create it first");
                    }
                    if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                        throw new ShipException("cannot reach Kafka at " + bootstrap + " (no answer within " + apiTimeout + " ms)");
                    }
                    throw new ShipException("Kafka at " + bootstrap + " refused to describe topic " + name + ": " + rootMessage(e.getCause()));
                } catch (TimeoutException e) {
                    throw new ShipException("cannot reach Kafka at " + bootstrap + " (no answer within " + apiTimeout + " ms)");
                }
            }
        } catch (KafkaException e) {
            throw new ShipException("cannot connect to Kafka at " + bootstrap + ": " + rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShipException("interrupted while checking Kafka at " + bootstrap);
        }
    }

    private static Map<String, Object> clientProperties(Map<String, Object> kafka, Set<String> known, String prefix) {
        Map<String, Object> plain = new LinkedHashMap<>();
        Map<String, Object> prefixed = new LinkedHashMap<>();
        kafka.forEach((key, value) -> {
            if (key.startsWith(prefix) && known.contains(key.substring(prefix.length()))) {
                prefixed.put(key.substring(prefix.length()), value);
            } else if (known.contains(key)) {
                plain.put(key, value);
            }
        });
        plain.putAll(prefixed);
        return plain;
    }

    /**
     * Sends one line.
     *
     * @param source the file (or connection) it came from, for a dead letter's headers
     * @param offset the byte offset of its first byte there
     */
    void send(byte[] line, String source, long offset, Delivery delivery) {
        LineFields fields = LineFields.read(line, 0, line.length, keyPath, System.currentTimeMillis(), maxClockSkewMs);
        send(new ProducerRecord<>(topic, null, fields.timestampMs(), fields.key(), line), source, offset, delivery, System.nanoTime());
    }

    private void send(ProducerRecord<byte[], byte[]> record, String source, long offset, Delivery delivery, long firstTry) {
        byte[] line = record.value();
        try {
            producer.send(record, (metadata, exception) -> {
                if (exception == null) {
                    metrics.delivered(line.length);
                    delivery.delivered();
                } else if (exception instanceof RecordTooLargeException) {
                    String why = "Kafka refused the line of " + line.length + " bytes at " + source + ":" + offset + " as too large: "
                            + exception.getMessage();
                    byte[] prefix = Arrays.copyOf(line, Math.min(line.length, LineSplitter.DEAD_LETTER_PREFIX));
                    resending.execute(() -> sendDeadLetter(prefix, line.length, source, offset, why, delivery));
                } else if (exception instanceof org.apache.kafka.common.errors.TimeoutException && !closing) {
                    resending.execute(() -> {
                        waitForKafka(source + ":" + offset, firstTry, exception);
                        send(record, source, offset, delivery, firstTry);
                    });
                } else {
                    fail("Kafka did not acknowledge the line at " + source + ":" + offset + ": " + rootMessage(exception));
                }
            });
        } catch (KafkaException | IllegalStateException e) {
            fail("cannot send the line at " + source + ":" + offset + " to Kafka: " + rootMessage(e));
        }
    }

    /**
     * Kafka is away (a broker restarting, or down longer than max.block.ms, a minute by default, which the producer waits
     * for a topic's metadata): the line waits for it and is sent again. Stopping instead, the shipper would ship again,
     * when restarted, every line after its last checkpoint. The wait holds the reading: the file waits on disk, and
     * Caddy's net writer on its socket.
     */
    private void waitForKafka(String where, long firstTry, Exception exception) {
        LOG.warn("Kafka has not taken the line at {} for {} s ({}); sending it again", where,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - firstTry), rootMessage(exception));
        try {
            Thread.sleep(RESEND_PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends a line longer than --max-line-bytes to the dead-letter topic: its first bytes, and where it is.
     *
     * @param prefix the line's first bytes (see {@link LineSplitter#DEAD_LETTER_PREFIX})
     * @param length the whole line's length
     */
    void sendTooLong(byte[] prefix, long length, String source, long offset, Delivery delivery) {
        String why = "line of " + length + " bytes at " + source + ":" + offset + " is longer than --max-line-bytes " + maxLineBytes
                + "; the value holds its first " + prefix.length + " bytes";
        sendDeadLetter(prefix, length, source, offset, why, delivery);
    }

    private void sendDeadLetter(byte[] value, long length, String source, long offset, String why, Delivery delivery) {
        long now = System.currentTimeMillis();
        RecordHeaders headers = new RecordHeaders();
        DeadLetterHeaders.add(headers, DeadLetterHeaders.REASON, DeadLetterReason.LINE_TOO_LONG.code());
        DeadLetterHeaders.add(headers, DeadLetterHeaders.STAGE, STAGE);
        DeadLetterHeaders.add(headers, DeadLetterHeaders.MESSAGE, why);
        DeadLetterHeaders.add(headers, SOURCE_FILE, source);
        DeadLetterHeaders.add(headers, SOURCE_OFFSET, Long.toString(offset));
        DeadLetterHeaders.add(headers, SOURCE_LENGTH, Long.toString(length));
        long timestamp = LineFields.read(value, 0, value.length, null, now, maxClockSkewMs).timestampMs();
        try {
            producer.send(new ProducerRecord<>(deadLetterTopic, null, timestamp, null, value, headers), (metadata, exception) -> {
                if (exception == null) {
                    metrics.deadLettered();
                    delivery.delivered();
                } else {
                    fail("Kafka did not acknowledge the dead letter of the line at " + source + ":" + offset + ": " + rootMessage(exception));
                }
            });
        } catch (KafkaException | IllegalStateException e) {
            fail("cannot send the dead letter of the line at " + source + ":" + offset + " to Kafka: " + rootMessage(e));
        }
    }

    /** The producer's buffer.memory, in bytes. */
    long bufferBytes() {
        return bufferBytes;
    }

    /** The first delivery failure, or null. */
    String failure() {
        return failure.get();
    }

    private void fail(String message) {
        failure.compareAndSet(null, message);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration timeout) {
        closing = true;
        resending.shutdown();
        try {
            resending.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(timeout);
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return message.replace('\n', ' ');
    }
}
