package dev.caddylightstep.loadtest.soak;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.topology.Topics;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What the pipeline has committed, read as a downstream reader would ({@code read_committed}) and from where the
 * last call stopped: the requests with spans and their span ids, dead letters by reason, and the latest value of every window
 * of the by-group topic. The access topic, written by the shipper without transactions, is counted by its offsets.
 */
final class OutputTally implements AutoCloseable {
    private static final String REASON_HEADER = "caddy.dlq.reason";

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicNames names;
    private final Deserializer<LatencyAggregateRecord> windows;
    private final List<TopicPartition> read = new ArrayList<>();
    private final List<TopicPartition> access = new ArrayList<>();
    private final Map<String, Long> deadLettersByReason = new TreeMap<>();
    private final Map<WindowId, WindowCounts> latestWindows = new HashMap<>();
    /** Requests with spans on the spans topic: their SERVER spans, as a record holds the spans of many. */
    private long spannedRequests;
    private long[] spanIds = new long[1 << 16];
    private int spanIdCount;
    private long deadLetters;

    OutputTally(String bootstrapServers, TopicNames names) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "soak-output-tally");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.names = names;
        this.windows = Topics.of(names).latencyByGroup().valueSerde().deserializer();
        for (String topic : List.of(names.spans(), names.accessDeadLetters(), names.latencyByGroup())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(60)).forEach(p -> read.add(new TopicPartition(topic, p.partition())));
        }
        consumer.partitionsFor(names.access(), Duration.ofSeconds(60)).forEach(p -> access.add(new TopicPartition(names.access(), p.partition())));
        consumer.assign(read);
        consumer.seekToBeginning(read);
    }

    /**
     * Reads up to what is committed now (each partition's last stable offset). Returns false if that takes longer
     * than {@code timeout}, a transaction left open by a killed instance holding the last stable offset back.
     */
    boolean catchUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, Long> end = consumer.endOffsets(read, timeout);
        while (!reached(end)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                tally(record);
            }
        }
        return true;
    }

    /** Records on the access topic: the shipper's producer is idempotent and not transactional, so offsets are records. */
    long accessRecords() {
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(access, Duration.ofSeconds(30));
        Map<TopicPartition, Long> end = consumer.endOffsets(access, Duration.ofSeconds(30));
        return access.stream().mapToLong(p -> end.get(p) - begin.get(p)).sum();
    }

    long spannedRequests() {
        return spannedRequests;
    }

    long[] spanIds() {
        return Arrays.copyOf(spanIds, spanIdCount);
    }

    long deadLetters() {
        return deadLetters;
    }

    Map<String, Long> deadLettersByReason() {
        return Map.copyOf(deadLettersByReason);
    }

    Map<WindowId, WindowCounts> windows() {
        return Map.copyOf(latestWindows);
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (TopicPartition partition : read) {
            if (consumer.position(partition) < end.get(partition)) {
                return false;
            }
        }
        return true;
    }

    private void tally(ConsumerRecord<byte[], byte[]> record) {
        String topic = record.topic();
        if (topic.equals(names.spans())) {
            addSpans(record.value());
        } else if (topic.equals(names.accessDeadLetters())) {
            deadLetters++;
            Header reason = record.headers().lastHeader(REASON_HEADER);
            deadLettersByReason.merge(reason == null ? "(none)" : new String(reason.value(), StandardCharsets.UTF_8), 1L, Long::sum);
        } else {
            LatencyAggregateRecord window = windows.deserialize(topic, record.value());
            latestWindows.put(new WindowId(window.getGroup(), window.getWindowStartMs()), WindowCounts.of(window));
        }
    }

    private void addSpans(byte[] value) {
        try {
            for (ResourceSpans resource : ExportTraceServiceRequest.parseFrom(value).getResourceSpansList()) {
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                    for (Span span : scope.getSpansList()) {
                        if (spanIdCount == spanIds.length) {
                            spanIds = Arrays.copyOf(spanIds, spanIdCount * 2);
                        }
                        spanIds[spanIdCount++] = ByteBuffer.wrap(span.getSpanId().toByteArray()).getLong();
                        if (span.getKind() == Span.SpanKind.SPAN_KIND_SERVER) {
                            spannedRequests++;
                        }
                    }
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a record on " + names.spans() + " is not an OTLP export: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
