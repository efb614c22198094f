package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the spans topic in its own consumer group and exports batches with OpenTelemetry's OTLP exporter.
 * A batch holds at most caddy.forward.batch-size spans and caddy.forward.max-export-bytes of span records.
 * Offsets are committed only after the backend acknowledged a batch; while the backend is down or throttling,
 * the batch is retried with exponential backoff and jitter and nothing new is consumed (the topic is the
 * buffer). A batch the backend rejects as malformed is split until the bad spans are found; those go to the
 * spans dead-letter topic with the reason and the rest are exported. A batch the backend refuses as too large
 * is split until the halves get through; a span too large for an export on its own is dead-lettered. Several
 * forwarders share the partitions.
 */
public final class SpanForwarder implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);
    private static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration LINGER = Duration.ofMillis(200);

    private final ForwarderSettings settings;
    private final SpanExporter exporter;
    private final String spansTopic;
    private final String deadLetterTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> deadLetters;
    private final ForwarderMetrics metrics;
    private final KafkaClientMetrics consumerMetrics;
    private final java.util.concurrent.ScheduledExecutorService metricsRefresh;
    private final RateLimit rateLimit;
    private final KnownResources known = new KnownResources();
    private final AtomicLong acknowledged = new AtomicLong();
    private final Set<TopicPartition> revoked = new HashSet<>();
    private volatile boolean running = true;
    private volatile boolean idle = true;
    private final Map<ExportFailure, Long> lastLogged = new EnumMap<>(ExportFailure.class);

    public SpanForwarder(ForwarderSettings settings, Map<String, Object> kafka, SpanExporter exporter, String spansTopic,
                         String deadLetterTopic, MeterRegistry registry) {
        this.settings = settings;
        this.exporter = exporter;
        this.spansTopic = spansTopic;
        this.deadLetterTopic = deadLetterTopic;
        Map<String, Object> consumerProps = new HashMap<>(KafkaClientProperties.consumer(kafka));
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.batchSize());
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> producerProps = new HashMap<>(KafkaClientProperties.producer(kafka));
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        this.deadLetters = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.metrics = new ForwarderMetrics(registry);
        // the consumer's per-partition lag appears once partitions are assigned: look for new metrics every few seconds
        this.metricsRefresh = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "forwarder-metrics-refresh");
            thread.setDaemon(true);
            return thread;
        });
        this.consumerMetrics = new KafkaClientMetrics(consumer, List.of(), metricsRefresh, Duration.ofSeconds(5));
        consumerMetrics.bindTo(registry);
        this.rateLimit = new RateLimit(settings.maxSpansPerSecond());
    }

    /** Spans the backend acknowledged since start. */
    public long acknowledgedSpans() {
        return acknowledged.get();
    }

    /** True when no batch is waiting to be exported. */
    public boolean isIdle() {
        return idle;
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(spansTopic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                revoked.addAll(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                revoked.removeAll(partitions);
            }
        });
        Batch batch = new Batch();
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    List<SpanData> spans = decode(record);
                    if (!batch.isEmpty() && !batch.fits(spans, record)) {
                        flush(batch);
                        batch = new Batch();
                    }
                    batch.add(record, spans);
                }
                idle = batch.isEmpty();
                if (!batch.isEmpty() && (batch.spanCount() >= settings.batchSize() || batch.age().compareTo(LINGER) >= 0 || records.isEmpty())) {
                    flush(batch);
                    batch = new Batch();
                    idle = true;
                }
            }
            if (!batch.isEmpty()) {
                flush(batch);
            }
        } catch (WakeupException e) {
            if (!batch.isEmpty() && !revokedAll(batch)) {
                LOG.info("forwarder stopping with {} spans not yet exported; they stay on {} for the next start", batch.spanCount(), spansTopic);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(10));
            deadLetters.close(Duration.ofSeconds(10));
            consumerMetrics.close();
            metricsRefresh.shutdownNow();
        }
    }

    private boolean revokedAll(Batch batch) {
        return revoked.containsAll(batch.partitions());
    }

    /** A record that cannot be exported (not an OTLP request, or larger than an export may be) is dead-lettered at once; null then. */
    private List<SpanData> decode(ConsumerRecord<byte[], byte[]> record) {
        if (sizeOf(record) > settings.maxExportBytes()) {
            deadLetter(record.key(), record.value(), DeadLetterReason.TOO_LARGE, "the span record is " + sizeOf(record)
                    + " bytes, more than an export may carry (caddy.forward.max-export-bytes=" + settings.maxExportBytes() + ")",
                    record.topic(), record.partition(), record.offset());
            metrics.deadLettered.increment();
            return null;
        }
        try {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(record.value() == null ? new byte[0] : record.value());
            List<SpanData> spans = new ArrayList<>();
            for (ResourceSpans rs : request.getResourceSpansList()) {
                Resource resource = known.resource(rs.getResource());
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    InstrumentationScopeInfo scope = known.scope(ss.getScope());
                    ss.getSpansList().forEach(span -> spans.add(new ProtoSpanData(span, resource, scope)));
                }
            }
            return spans;
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            deadLetter(record.key(), record.value(), DeadLetterReason.NOT_OTLP, "not an OTLP ExportTraceServiceRequest: " + e.getMessage(),
                    record.topic(), record.partition(), record.offset());
            return null;
        }
    }

    private void flush(Batch batch) throws InterruptedException {
        List<SpanData> spans = batch.spans();
        rateLimit.acquire(spans.size(), metrics);
        exportAll(spans, batch);
        commit(batch);
    }

    /** Exports the spans, retrying until acknowledged; malformed batches are split. */
    private void exportAll(List<SpanData> spans, Batch batch) throws InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        while (!spans.isEmpty()) {
            long start = System.nanoTime();
            CompletableResultCode result = exporter.export(spans).join(EXPORT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            metrics.exportLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            if (result.isSuccess()) {
                acknowledged.addAndGet(spans.size());
                metrics.exported.increment(spans.size());
                return;
            }
            metrics.failedAttempts.increment();
            ExportFailure failure = result.isDone() ? ExportFailure.of(result.getFailureThrowable()) : ExportFailure.RETRY;
            String why = result.isDone() ? ExportFailure.describe(result.getFailureThrowable()) : "no answer within " + EXPORT_TIMEOUT.toSeconds() + " s";
            if (failure == ExportFailure.MALFORMED || failure == ExportFailure.TOO_LARGE) {
                logFailure(failure, why, spans.size(), backoff);
                split(spans, batch, failure, why);
                return;
            }
            if (failure == ExportFailure.THROTTLED) {
                metrics.throttled.increment();
            }
            logFailure(failure, why, spans.size(), backoff);
            waitOut(backoff);
            // partitions another forwarder took over during the wait are its to export now
            spans = spans.stream().filter(span -> !revoked.contains(batch.partitionOf(span))).toList();
            metrics.retries.increment();
            backoff = next(backoff);
        }
    }

    private void split(List<SpanData> spans, Batch batch, ExportFailure failure, String why) throws InterruptedException {
        if (spans.size() == 1) {
            SpanData span = spans.get(0);
            ConsumerRecord<byte[], byte[]> source = batch.sourceOf(span);
            String which = "span " + span.getSpanId() + " of trace " + span.getTraceId();
            if (failure == ExportFailure.TOO_LARGE) {
                deadLetter(source.key(), source.value(), DeadLetterReason.TOO_LARGE, "the backend refused " + which
                        + " as too large even on its own: " + why, source.topic(), source.partition(), source.offset());
            } else {
                deadLetter(source.key(), source.value(), DeadLetterReason.REJECTED_BY_BACKEND, "the backend rejected " + which + ": " + why,
                        source.topic(), source.partition(), source.offset());
            }
            metrics.deadLettered.increment();
            return;
        }
        int half = spans.size() / 2;
        exportAll(spans.subList(0, half), batch);
        exportAll(spans.subList(half, spans.size()), batch);
    }

    private void logFailure(ExportFailure failure, String why, int spans, Duration backoff) {
        switch (failure) {
            case REFUSED -> {
                if (!loggedRecently(failure)) {
                    LOG.error("the backend refuses the export ({}): check the endpoint and LS_ACCESS_TOKEN; retrying, nothing is dropped", why);
                }
            }
            case TOO_LARGE -> {
                if (!loggedRecently(failure)) {
                    LOG.warn("the backend refused an export of {} spans as too large ({}); sending it in halves. Set "
                            + "caddy.forward.max-export-bytes under the backend's limit to save the refused requests", spans, why);
                }
            }
            // the dead letters say which spans were rejected and why
            case MALFORMED -> { }
            default -> LOG.warn("export of {} spans failed ({}); retrying in {} ms", spans, why, backoff.toMillis());
        }
    }

    /** At most one line a minute for a failure that repeats on every batch until an operator acts. */
    private boolean loggedRecently(ExportFailure failure) {
        long now = System.currentTimeMillis();
        if (now - lastLogged.getOrDefault(failure, Long.MIN_VALUE / 2) < 60_000) {
            return true;
        }
        lastLogged.put(failure, now);
        return false;
    }

    private static int sizeOf(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? 0 : record.value().length;
    }

    /** Sleeps while staying in the consumer group: paused partitions hand out nothing new. */
    private void waitOut(Duration backoff) throws InterruptedException {
        long jittered = ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2, backoff.toMillis() + 1);
        long until = System.currentTimeMillis() + jittered;
        consumer.pause(consumer.assignment());
        try {
            while (running && System.currentTimeMillis() < until) {
                var early = consumer.poll(Duration.ofMillis(Math.min(100, Math.max(1, until - System.currentTimeMillis()))));
                // a partition assigned during the wait was not paused yet: give its records back for later
                for (TopicPartition partition : early.partitions()) {
                    consumer.seek(partition, early.records(partition).get(0).offset());
                }
                consumer.pause(consumer.assignment());
            }
        } finally {
            consumer.resume(consumer.paused());
        }
        if (!running) {
            throw new InterruptedException("forwarder stopping during a retry");
        }
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
    }

    private void commit(Batch batch) {
        Map<TopicPartition, OffsetAndMetadata> offsets = batch.nextOffsets();
        offsets.keySet().removeAll(revoked);
        if (offsets.isEmpty()) {
            return;
        }
        // every record polled is in the batch, so the position is past nothing but transaction markers (and
        // aborted records): committing it, not the offset after the last record, leaves no lag of 1 behind
        // the marker on every partition of the transactional spans topic
        offsets.replaceAll((partition, next) -> consumer.assignment().contains(partition) && consumer.position(partition) > next.offset()
                ? new OffsetAndMetadata(consumer.position(partition)) : next);
        consumer.commitSync(offsets);
        // a partition revoked and given back during a retry restarts at the offset committed before this
        // batch: move on past the batch, or its spans would be exported twice
        offsets.forEach((partition, next) -> {
            if (consumer.assignment().contains(partition) && consumer.position(partition) < next.offset()) {
                consumer.seek(partition, next.offset());
            }
        });
    }

    private void deadLetter(byte[] key, byte[] value, DeadLetterReason reason, String message, String topic, int partition, long offset) {
        Headers headers = DeadLetterHeaders.of(reason.code(), "export", message, topic, partition, offset);
        try {
            deadLetters.send(new ProducerRecord<>(deadLetterTopic, null, null, key, value, headers)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot write to " + deadLetterTopic + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to " + deadLetterTopic, e);
        }
        LOG.warn("dead-lettered a span record of {} partition {} offset {}: {}", topic, partition, offset, message);
    }

    /** Stops after the batch in hand; its spans are exported or left on the topic, never lost. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }

    /** The records of one export, with the spans each carried. */
    private final class Batch {
        private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        private final List<SpanData> spans = new ArrayList<>();
        private final Map<SpanData, ConsumerRecord<byte[], byte[]>> sources = new java.util.IdentityHashMap<>();
        private long firstAt;
        private long bytes;

        /**
         * Whether a record's spans may join this export. Records are counted by their size: the exporter encodes
         * the same spans, resources and scopes again, so a request is about as large as its records together, and
         * caddy.forward.max-export-bytes leaves room below the backend's limit for the difference.
         */
        boolean fits(List<SpanData> decoded, ConsumerRecord<byte[], byte[]> record) {
            if (decoded == null) {
                return true;
            }
            return spans.size() + decoded.size() <= settings.batchSize() && bytes + sizeOf(record) <= settings.maxExportBytes();
        }

        void add(ConsumerRecord<byte[], byte[]> record, List<SpanData> decoded) {
            if (records.isEmpty()) {
                firstAt = System.nanoTime();
            }
            records.add(record);
            if (decoded != null) {
                bytes += sizeOf(record);
                for (SpanData span : decoded) {
                    spans.add(span);
                    sources.put(span, record);
                }
            }
        }

        boolean isEmpty() {
            return records.isEmpty();
        }

        int spanCount() {
            return spans.size();
        }

        Duration age() {
            return Duration.ofNanos(System.nanoTime() - firstAt);
        }

        List<SpanData> spans() {
            return spans;
        }

        ConsumerRecord<byte[], byte[]> sourceOf(SpanData span) {
            return sources.get(span);
        }

        TopicPartition partitionOf(SpanData span) {
            ConsumerRecord<byte[], byte[]> source = sources.get(span);
            return new TopicPartition(source.topic(), source.partition());
        }

        Set<TopicPartition> partitions() {
            Set<TopicPartition> partitions = new HashSet<>();
            records.forEach(r -> partitions.add(new TopicPartition(r.topic(), r.partition())));
            return partitions;
        }

        Map<TopicPartition, OffsetAndMetadata> nextOffsets() {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                        (a, b) -> a.offset() >= b.offset() ? a : b);
            }
            return offsets;
        }
    }
}
