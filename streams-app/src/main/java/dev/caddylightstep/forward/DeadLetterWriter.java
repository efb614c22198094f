package dev.caddylightstep.forward;

import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.topics.RecordLimit;
import dev.caddylightstep.topics.TopicSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a record the forwarder cannot export (a span, or a window's metrics) to the spans dead-letter topic, with the
 * dead-letter headers that say why and where it was read, and without its value when it is larger than the topic takes.
 */
final class DeadLetterWriter {
    /** The forwarder's lines keep the forwarder's name whichever of its classes writes them. */
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);
    /** How long one wait for a dead letter's acknowledgement lasts before it counts as a retry (the producer goes on sending). */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final int valueLimit;
    private final KafkaRetry kafkaRetry;
    /** False once the forwarder stops: a dead letter Kafka cannot take then is given up on, its record left uncommitted. */
    private final BooleanSupplier running;

    DeadLetterWriter(Map<String, Object> kafka, String topic, KafkaRetry kafkaRetry, BooleanSupplier running) {
        this.topic = topic;
        this.kafkaRetry = kafkaRetry;
        this.running = running;
        Map<String, Object> producerProps = new HashMap<>(KafkaClientProperties.producer(kafka));
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        // caddy.spans.dlq takes records as large as the application writes; a configured max.request.size wins
        producerProps.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TopicSpec.LARGE_RECORD_BYTES);
        int maxRequestSize = Integer.parseInt(String.valueOf(producerProps.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)).trim());
        this.valueLimit = RecordLimit.underRequestSize(maxRequestSize).maxValueBytes();
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A dead letter for {@code source} holding the record itself. */
    void write(ConsumerRecord<byte[], byte[]> source, DeadLetterReason reason, String message) {
        write(source, source.value(), reason, message);
    }

    /**
     * Writes a dead letter for {@code source} holding {@code value} (the record, or the part of it that failed), whole
     * when it fits. A value larger than a produce request may carry, or than the topic takes (one made before it took 4
     * MiB), goes without it, with its size in a header, as the streams' dead letters do; a key too large as well (a
     * record of another producer's: ours are trace ids) goes without both, with the key's size beside the value's.
     * While Kafka cannot take it, it is retried in place: the record it stands for must not be passed over. Any other
     * failure ends the forwarder.
     */
    void write(ConsumerRecord<byte[], byte[]> source, byte[] value, DeadLetterReason reason, String message) {
        Contents contents = value == null || value.length <= valueLimit ? Contents.WHOLE : Contents.WITHOUT_VALUE;
        Future<RecordMetadata> sent = producer.send(record(source, value, contents, reason, message));
        while (true) {
            try {
                sent.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                kafkaRetry.answered();
                break;
            } catch (TimeoutException e) {
                // the producer goes on sending until its delivery timeout: waiting on is the retry, and writes no second copy
                awaitKafka(new org.apache.kafka.common.errors.TimeoutException("no acknowledgement from " + topic
                        + " within " + WAIT.toSeconds() + " s"));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RecordTooLargeException && contents.next() != null) {
                    contents = contents.next();
                } else if (!(cause instanceof RetriableException)) {
                    throw new KafkaException("cannot write to " + topic + ": " + cause.getMessage(), cause);
                } else {
                    awaitKafka(cause);
                }
                sent = producer.send(record(source, value, contents, reason, message));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException("interrupted writing to " + topic, e);
            }
            if (!running.getAsBoolean()) {
                throw new KafkaException("stopped before a dead letter could be written to " + topic);
            }
        }
        LOG.warn("dead-lettered a record of {} partition {} offset {}{}: {}", source.topic(), source.partition(), source.offset(),
                contents.left(value, source.key()), message);
    }

    /** What of a dead letter's value and key it holds: all it can, and less each time the topic refuses it as too large. */
    private enum Contents {
        WITHOUT_KEY_OR_VALUE(null),
        WITHOUT_VALUE(WITHOUT_KEY_OR_VALUE),
        WHOLE(WITHOUT_VALUE);

        private final Contents next;

        Contents(Contents next) {
            this.next = next;
        }

        /** What to send once this was refused as too large; null when nothing more can be left out. */
        Contents next() {
            return next;
        }

        String left(byte[] value, byte[] key) {
            return switch (this) {
                case WHOLE -> "";
                case WITHOUT_VALUE -> " without its " + lengthOf(value) + " bytes";
                case WITHOUT_KEY_OR_VALUE -> " without its " + lengthOf(value) + " bytes or its key of " + lengthOf(key) + " bytes";
            };
        }

        private static int lengthOf(byte[] bytes) {
            return bytes == null ? 0 : bytes.length;
        }
    }

    private void awaitKafka(Throwable failure) {
        try {
            kafkaRetry.await(failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted writing to " + topic, e);
        }
    }

    private ProducerRecord<byte[], byte[]> record(ConsumerRecord<byte[], byte[]> source, byte[] value, Contents contents,
                                                  DeadLetterReason reason, String message) {
        Headers headers = DeadLetterHeaders.of(reason.code(), "export", message, source.topic(), source.partition(), source.offset());
        if (contents != Contents.WHOLE && value != null) {
            DeadLetterHeaders.add(headers, DeadLetterHeaders.ORIGINAL_BYTES, Integer.toString(value.length));
        }
        if (contents == Contents.WITHOUT_KEY_OR_VALUE && source.key() != null) {
            DeadLetterHeaders.add(headers, DeadLetterHeaders.ORIGINAL_KEY_BYTES, Integer.toString(source.key().length));
        }
        return new ProducerRecord<>(topic, null, null, contents == Contents.WITHOUT_KEY_OR_VALUE ? null : source.key(),
                contents == Contents.WHOLE ? value : null, headers);
    }

    void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
