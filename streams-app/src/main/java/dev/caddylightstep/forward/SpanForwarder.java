package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.otlp.SpanRecordReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the spans topic in its own consumer group and exports batches through the sender of OpenTelemetry's OTLP
 * exporter. A record is already an OTLP export request, and requests written one after another are their merge in
 * protobuf: a batch's request is its records' bytes joined, its spans counted but not decoded. A batch holds at most
 * caddy.forward.batch-size spans and caddy.forward.max-export-bytes of span records; up to caddy.forward.max-in-flight
 * export requests await the backend's answer at once. A partition's offset is committed only once the backend
 * acknowledged every batch up to it, so a batch still in flight or being retried holds back the commit of its
 * partitions. While the backend is down or throttling, a failed request is retried with exponential
 * backoff and jitter and nothing new is consumed (the topic is the buffer). A batch the backend rejects as malformed
 * is split until the bad spans are found; those go to the spans dead-letter topic with the reason and the rest are
 * exported. A batch the backend refuses as too large is split until the halves get through; a span too large for an
 * export on its own is dead-lettered. Several forwarders share the partitions.
 */
public final class SpanForwarder implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(100);
    /** With answers to come, a poll must not keep them waiting long when the topic has nothing new. */
    private static final Duration BUSY_POLL = Duration.ofMillis(5);
    /** How often the group is heard from while no room is left to consume: rebalances proceed only in poll. */
    private static final long GROUP_POLL_NANOS = Duration.ofMillis(100).toNanos();

    private final ForwarderSettings settings;
    private final String spansTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ForwarderMetrics metrics;
    private final KafkaRetry kafkaRetry;
    private final DeadLetterWriter deadLetters;
    private final ExportRequests requests;
    private final OffsetCommits commits;
    private final BatchInHand inHand;
    private final PartitionHandover handover;
    private long lastPolled = System.nanoTime();
    private volatile boolean running = true;
    private volatile boolean idle = true;

    public SpanForwarder(ForwarderSettings settings, Map<String, Object> kafka, SpanSender sender, String spansTopic,
                         String deadLetterTopic, MeterRegistry registry) {
        this.settings = settings;
        this.spansTopic = spansTopic;
        this.consumer = new KafkaConsumer<>(settings.consumerProperties(kafka), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.metrics = new ForwarderMetrics(registry, consumer);
        Backoff backoff = new Backoff(settings.maxBackoff());
        this.kafkaRetry = new KafkaRetry(backoff, metrics.kafkaRetries);
        this.deadLetters = new DeadLetterWriter(kafka, deadLetterTopic, kafkaRetry, () -> running);
        this.requests = new ExportRequests(sender, settings.maxInFlight(), new RateLimit(settings.maxSpansPerSecond()),
                new ExportPolicy(backoff, deadLetters, metrics), metrics);
        this.commits = new OffsetCommits(consumer, kafkaRetry, metrics.kafkaRetries);
        this.inHand = new BatchInHand(settings, commits, requests);
        this.handover = new PartitionHandover(inHand, requests, commits, () -> running);
    }

    /** Spans the backend acknowledged since start. */
    public long acknowledgedSpans() {
        return requests.acknowledgedSpans();
    }

    /** True when no batch is waiting to be exported or for the backend's answer. */
    public boolean isIdle() {
        return idle;
    }

    /**
     * Ready once the group has given this forwarder its share of the partitions, and while no Kafka failure is being
     * retried. A backend that is down does not make it unready: the topic holds the spans meanwhile.
     */
    public boolean isReady() {
        return running && handover.joined() && !kafkaRetry.isRetrying();
    }

    /**
     * Runs until {@link #close()}. A Kafka failure that passes by itself (a commit timing out while the group
     * coordinator is away or moves, a broker restarting, a rebalance) is retried after a backoff and counted in
     * caddy_forward_kafka_retries_total. Any other failure (an authorization refused, a bug) ends this method with the
     * exception, having committed nothing more: whoever runs the forwarder ends the process, and the next one exports
     * again what was not committed.
     */
    @Override
    public void run() {
        consumer.subscribe(List.of(spansTopic), handover);
        boolean failed = true;
        try {
            kafkaRetry.repeat(() -> running, this::step);
            failed = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed = false;
        } finally {
            // after a failure, the consumer's close revokes the partitions without committing
            running = false;
            try {
                if (!failed) {
                    finish();
                }
            } finally {
                consumer.close(Duration.ofSeconds(10));
                deadLetters.close();
                metrics.close();
            }
        }
    }

    private void step() throws InterruptedException {
        requests.settleAnswered();
        requests.expireUnanswered();
        requests.sendDue();
        commits.commitWhenDue(inHand.batch());
        idle = inHand.batch().isEmpty() && requests.isEmpty();
        if (requests.hasRoom() && !commits.holdsBack()) {
            consume();
        } else {
            awaitRoom();
        }
    }

    private void consume() {
        consumer.resume(consumer.paused());
        var records = consumer.poll(requests.anyInFlight() ? BUSY_POLL : IDLE_POLL);
        lastPolled = System.nanoTime();
        Map<TopicPartition, Long> handled = new HashMap<>();
        try {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                inHand.add(record, read(record));
                handled.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            }
        } catch (RuntimeException e) {
            // the records not handled yet (from a dead letter that could not be written on) are polled again, so that no
            // offset is committed past them
            for (TopicPartition partition : records.partitions()) {
                consumer.seek(partition, handled.getOrDefault(partition, records.records(partition).get(0).offset()));
            }
            throw e;
        }
        if (!records.isEmpty()) {
            kafkaRetry.answered();
        }
        inHand.sealWhenDue(records.isEmpty());
    }

    /**
     * Waits for an answer, for a retry's backoff to run out, or for a refused commit's rebalance to end, while consuming
     * nothing: what is on the topic stays there rather than in memory. The group still hears from this member, so that
     * rebalances go on.
     */
    private void awaitRoom() throws InterruptedException {
        requests.awaitAnswer(GROUP_POLL_NANOS);
        if (System.nanoTime() - lastPolled >= GROUP_POLL_NANOS) {
            pollPaused();
        }
    }

    /** Paused partitions hand out nothing; one assigned during this poll was not paused yet: its records go back for later. */
    private void pollPaused() {
        consumer.pause(consumer.assignment());
        var early = consumer.poll(Duration.ZERO);
        lastPolled = System.nanoTime();
        for (TopicPartition partition : early.partitions()) {
            consumer.seek(partition, early.records(partition).get(0).offset());
        }
    }

    /** A record that cannot be exported (not an OTLP request, or larger than an export may be) is dead-lettered at once; null then. */
    private RecordSpans read(ConsumerRecord<byte[], byte[]> record) {
        if (ExportBatch.sizeOf(record) > settings.maxExportBytes()) {
            deadLetters.write(record, DeadLetterReason.TOO_LARGE, "the span record is " + ExportBatch.sizeOf(record)
                    + " bytes, more than an export may carry (caddy.forward.max-export-bytes=" + settings.maxExportBytes() + ")");
            metrics.deadLettered.increment();
            return null;
        }
        byte[] value = record.value() == null ? new byte[0] : record.value();
        try {
            return new RecordSpans(record, value, SpanRecordReader.spanCount(value));
        } catch (InvalidProtocolBufferException e) {
            deadLetters.write(record, DeadLetterReason.NOT_OTLP, "not an OTLP ExportTraceServiceRequest: " + e.getMessage());
            return null;
        }
    }

    /**
     * On a clean stop, the requests in flight get their answer and are committed when acknowledged; the batch in hand
     * and what waits to be retried stay on the topic for the next start.
     */
    private void finish() {
        requests.awaitInFlight(batch -> true);
        commits.commitAtStop(inHand.batch());
        long unexported = inHand.batch().spanCount() + requests.unexportedSpans();
        if (unexported > 0) {
            LOG.info("forwarder stopping with {} spans not yet exported; they stay on {} for the next start", unexported, spansTopic);
        }
    }

    /** Stops consuming; the requests in flight are answered and committed first, the rest stays on the topic, nothing is lost. */
    @Override
    public void close() {
        running = false;
        kafkaRetry.stop();
        consumer.wakeup();
    }
}
