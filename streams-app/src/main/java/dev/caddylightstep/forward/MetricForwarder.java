package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.otlp.MetricRecordDecoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the metrics topic in a group of its own (caddy.forward.group-id + ".metrics") and exports what each poll
 * brought with OpenTelemetry's OTLP metric exporter, then commits: a window's metrics are committed only once the
 * backend acknowledged them. One request at a time: a window closes once a minute per group and route, far fewer
 * records than spans. While the backend is down or throttling, the same request is sent again after a backoff and
 * nothing new is consumed (the topic is the buffer); one the backend rejects as malformed or too large is split until
 * the records it refuses are found, and those go to the spans dead-letter topic with the reason, as do records that
 * are not the metrics the application writes.
 */
public final class MetricForwarder implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricForwarder.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    /** How long a backoff waits in one poll of the paused partitions: the group must hear from this member. */
    private static final Duration BACKOFF_POLL = Duration.ofMillis(100);
    /** Past the exporter's own timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default): an answer that never comes is a failure. */
    private static final long ANSWER_SECONDS = 120;

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final MetricExporter exporter;
    private final MetricRecordDecoder decoder = new MetricRecordDecoder();
    private final Backoff backoffs;
    private final KafkaRetry kafkaRetry;
    private final DeadLetterWriter deadLetters;
    private final Counter exported;
    private final Counter failures;
    private final Counter deadLettered;
    private final LogLimit<ExportFailure> logLimit = new LogLimit<>();
    private volatile boolean running = true;
    private volatile boolean joined;
    /** Set by a rebalance that took partitions away: the batch in hand is left to their next owner. */
    private boolean revoked;

    /** A record and what it decoded to. */
    private record Decoded(ConsumerRecord<byte[], byte[]> record, List<MetricData> metrics) {
    }

    public MetricForwarder(ForwarderSettings settings, Map<String, Object> kafka, MetricExporter exporter, String metricsTopic,
                           String deadLetterTopic, MeterRegistry registry) {
        this.topic = metricsTopic;
        this.exporter = exporter;
        this.consumer = new KafkaConsumer<>(settings.metricsConsumerProperties(kafka), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.backoffs = new Backoff(settings.maxBackoff());
        Counter kafkaRetries = Counter.builder("caddy.forward.metrics.kafka.retries")
                .description("Kafka operations of the metric forwarder that failed for a reason that passes and were retried").register(registry);
        this.kafkaRetry = new KafkaRetry(backoffs, kafkaRetries);
        this.deadLetters = new DeadLetterWriter(kafka, deadLetterTopic, kafkaRetry, () -> running);
        this.exported = Counter.builder("caddy.forward.metrics.exported").description("Metric records (one per closed window) the backend acknowledged").register(registry);
        this.failures = Counter.builder("caddy.forward.metrics.export.failures").description("Metric export requests that failed (and were retried or split)").register(registry);
        this.deadLettered = Counter.builder("caddy.forward.metrics.dead.lettered")
                .description("Metric records sent to the spans dead-letter topic: not the metrics the application writes, or rejected by the backend").register(registry);
    }

    /** Ready once the group has given this forwarder its share of the partitions, and while no Kafka failure is being retried. */
    public boolean isReady() {
        return running && joined && !kafkaRetry.isRetrying();
    }

    /**
     * Runs until {@link #close()}. A Kafka failure that passes by itself is retried after a backoff; any other ends this
     * method with the exception, having committed nothing more: whoever runs it ends the process.
     */
    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                revoked |= !partitions.isEmpty();
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                joined = true;
            }
        });
        try {
            kafkaRetry.repeat(() -> running, this::step);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = false;
            try {
                consumer.close(Duration.ofSeconds(10));
            } finally {
                deadLetters.close();
            }
        }
    }

    private void step() throws InterruptedException {
        revoked = false;
        consumer.resume(consumer.paused());
        ConsumerRecords<byte[], byte[]> records = consumer.poll(IDLE_POLL);
        if (records.isEmpty()) {
            return;
        }
        kafkaRetry.answered();
        List<Decoded> batch = new ArrayList<>(records.count());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            try {
                batch.add(new Decoded(record, decoder.decode(record.value() == null ? new byte[0] : record.value())));
            } catch (InvalidProtocolBufferException e) {
                deadLetter(record, DeadLetterReason.NOT_OTLP, "not an OTLP ExportMetricsServiceRequest as the application writes: " + e.getMessage());
            }
        }
        if (!exportAll(batch)) {
            rewind(records);
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> ofPartition = records.records(partition);
            offsets.put(partition, new OffsetAndMetadata(ofPartition.get(ofPartition.size() - 1).offset() + 1));
        }
        consumer.commitSync(offsets);
    }

    /**
     * Exports the records until the backend acknowledged them or dead-lettered those it refuses; false when the
     * forwarder stops or partitions were taken away first.
     */
    private boolean exportAll(List<Decoded> part) throws InterruptedException {
        Duration backoff = Backoff.FIRST;
        while (running && !revoked) {
            if (part.isEmpty()) {
                return true;
            }
            List<MetricData> metrics = new ArrayList<>();
            part.forEach(decoded -> metrics.addAll(decoded.metrics()));
            CompletableResultCode result = exporter.export(metrics).join(ANSWER_SECONDS, TimeUnit.SECONDS);
            if (result.isSuccess()) {
                exported.increment(part.size());
                return true;
            }
            failures.increment();
            ExportFailure failure = ExportFailure.of(result.getFailureThrowable());
            String why = ExportFailure.describe(result.getFailureThrowable());
            if (failure == ExportFailure.MALFORMED || failure == ExportFailure.TOO_LARGE) {
                return refused(part, failure, why);
            }
            long jittered = Backoff.jitteredMillis(backoff);
            if (logLimit.allows(failure)) {
                LOG.warn("export of {} metric records failed ({}); retrying in about {} ms, nothing is dropped", part.size(), why, jittered);
            }
            awaitPaused(jittered);
            backoff = backoffs.next(backoff);
        }
        return false;
    }

    /** A request the backend refused as malformed or too large: in halves until the records it refuses are found. */
    private boolean refused(List<Decoded> part, ExportFailure failure, String why) throws InterruptedException {
        if (part.size() > 1) {
            int half = part.size() / 2;
            return exportAll(part.subList(0, half)) && exportAll(part.subList(half, part.size()));
        }
        ConsumerRecord<byte[], byte[]> record = part.get(0).record();
        if (failure == ExportFailure.TOO_LARGE) {
            deadLetter(record, DeadLetterReason.TOO_LARGE, "the backend refused a window's metrics as too large: " + why);
        } else {
            deadLetter(record, DeadLetterReason.REJECTED_BY_BACKEND, "the backend rejected a window's metrics: " + why);
        }
        return true;
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String message) {
        deadLetters.write(record, reason, message);
        deadLettered.increment();
    }

    /**
     * Waits out a backoff while consuming nothing, polling the paused partitions so that the group goes on hearing from
     * this member; a partition assigned meanwhile was not paused yet: its records go back for later.
     */
    private void awaitPaused(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (running && !revoked && System.nanoTime() < deadline) {
            consumer.pause(consumer.assignment());
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            ConsumerRecords<byte[], byte[]> early = consumer.poll(Duration.ofMillis(Math.max(1, Math.min(left, BACKOFF_POLL.toMillis()))));
            rewind(early);
        }
    }

    /** The records go back to be polled again, on the partitions this forwarder still has. */
    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition partition : records.partitions()) {
            if (consumer.assignment().contains(partition)) {
                consumer.seek(partition, records.records(partition).get(0).offset());
            }
        }
    }

    /** Stops consuming; what was not acknowledged stays on the topic for the next start. */
    @Override
    public void close() {
        running = false;
        kafkaRetry.stop();
        consumer.wakeup();
    }
}
