package dev.caddylightstep.loadtest.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordReader;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a run's output topics as a downstream reader would ({@code read_committed}: only what the run has
 * committed), counts records per topic (on the spans topic, the requests whose spans a record holds), keeps the latest
 * count of every aggregate window, and notes when a condition on those tallies first held. For records stamped at or after the probe start it also notes the latency from the
 * stamp to the moment the record could be read; on the spans topic, from the end of each request a record holds.
 */
final class OutputWatch implements Runnable, AutoCloseable {
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final String latencyTopic;
    /** The topic whose records are OTLP export requests of the spans of many requests; none for the pass-through. */
    private final String spansTopic;
    private final Set<String> aggregateTopics;
    private final Deserializer<LatencyAggregateRecord> aggregates;
    private final Map<String, Long> counts = new HashMap<>();
    private final Map<String, Map<ByteBuffer, Long>> latestCounts = new HashMap<>();
    private final Map<String, Long> aggregateSums = new HashMap<>();
    private long[] latencies = new long[1024];
    private int latencyCount;
    private long probeFromMs = Long.MAX_VALUE;
    private Predicate<Tally> condition;
    private Clocks reached;
    private RuntimeException failure;
    private volatile boolean running = true;

    OutputWatch(String bootstrapServers, List<String> topics, String latencyTopic, String spansTopic, Set<String> aggregateTopics,
                Deserializer<LatencyAggregateRecord> aggregates) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-output-watch");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topics = List.copyOf(topics);
        this.latencyTopic = latencyTopic;
        this.spansTopic = spansTopic;
        this.aggregateTopics = Set.copyOf(aggregateTopics);
        this.aggregates = aggregates;
    }

    /** What has been read so far. */
    interface Tally {
        long count(String topic);

        /** The sum of the latest count of every window on an aggregate topic. */
        long aggregateSum(String topic);
    }

    /** From now on, {@link #awaitCondition} returns once this holds (it is checked after every read). */
    synchronized void expect(Predicate<Tally> newCondition) {
        condition = newCondition;
        reached = null;
        check();
    }

    /** Latencies are taken of records stamped at or after this time (epoch ms), and only of those. */
    synchronized void sampleLatencyFrom(long epochMs) {
        probeFromMs = epochMs;
        latencyCount = 0;
    }

    /** The clocks when the condition first held. */
    synchronized Clocks awaitCondition(Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (reached == null) {
            if (failure != null) {
                throw failure;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("outputs incomplete after " + timeout.toSeconds() + " s: " + describe());
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return reached;
    }

    synchronized long[] latenciesMs() {
        return Arrays.copyOf(latencies, latencyCount);
    }

    synchronized String describe() {
        StringBuilder s = new StringBuilder();
        for (String topic : topics) {
            s.append(topic).append('=').append(counts.getOrDefault(topic, 0L));
            if (aggregateTopics.contains(topic)) {
                s.append(" (windows sum ").append(aggregateSums.getOrDefault(topic, 0L)).append(')');
            }
            s.append(' ');
        }
        return s.toString().trim();
    }

    @Override
    public void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                for (PartitionInfo p : partitionsOf(topic)) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(50));
                long readMs = System.currentTimeMillis();
                synchronized (this) {
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        tally(record, readMs);
                    }
                    check();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            synchronized (this) {
                failure = e;
                notifyAll();
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * The partitions of an output topic, once the metadata the consumer gets has them: a topic created a moment ago
     * may not be in it yet, and the consumer then answers with none (an assignment of nothing, which poll refuses).
     */
    private List<PartitionInfo> partitionsOf(String topic) {
        long deadline = System.nanoTime() + METADATA_TIMEOUT.toNanos();
        while (true) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, METADATA_TIMEOUT);
            if (!partitions.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("output topic " + topic + " has no partitions in the metadata after "
                        + METADATA_TIMEOUT.toSeconds() + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the metadata of " + topic, e);
            }
        }
    }

    private void tally(ConsumerRecord<byte[], byte[]> record, long readMs) {
        String topic = record.topic();
        int outputs = topic.equals(spansTopic) ? requestsIn(record.value()) : 1;
        counts.merge(topic, (long) outputs, Long::sum);
        if (topic.equals(latencyTopic) && record.timestamp() >= probeFromMs) {
            if (topic.equals(spansTopic)) {
                serverSpanEnds(record.value()).filter(endMs -> endMs >= probeFromMs).forEach(endMs -> latency(readMs - endMs));
            } else {
                latency(readMs - record.timestamp());
            }
        }
        if (aggregateTopics.contains(topic)) {
            long count = aggregates.deserialize(topic, record.value()).getCount();
            Long previous = latestCounts.computeIfAbsent(topic, t -> new HashMap<>()).put(ByteBuffer.wrap(record.key()), count);
            aggregateSums.merge(topic, count - (previous == null ? 0 : previous), Long::sum);
        }
    }

    private void latency(long ms) {
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencyCount * 2);
        }
        latencies[latencyCount++] = ms;
    }

    /**
     * When Caddy logged each request of a record of spans: its SERVER span's end. The record's own time is when its
     * batch was written (the topic's log append time), up to a commit interval after the lines it holds, so the latency
     * is taken from each request's end instead; decoded only for the records of the probe.
     */
    private static LongStream serverSpanEnds(byte[] record) {
        try {
            return ExportTraceServiceRequest.parseFrom(record).getResourceSpansList().stream()
                    .flatMap(resource -> resource.getScopeSpansList().stream())
                    .flatMap(scope -> scope.getSpansList().stream())
                    .filter(span -> span.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                    .mapToLong(span -> span.getEndTimeUnixNano() / 1_000_000);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a record of the spans topic is not an OTLP export: " + e.getMessage(), e);
        }
    }

    /**
     * The requests whose spans a record holds, counted without decoding them: a watch that decoded every span would take
     * CPU from the run it measures on two cores.
     */
    private static int requestsIn(byte[] record) {
        try {
            return SpanRecordReader.requestCount(record);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a record of the spans topic is not an OTLP export: " + e.getMessage(), e);
        }
    }

    private void check() {
        if (reached == null && condition != null && condition.test(tally())) {
            reached = Clocks.now();
            notifyAll();
        }
    }

    private Tally tally() {
        return new Tally() {
            @Override
            public long count(String topic) {
                return counts.getOrDefault(topic, 0L);
            }

            @Override
            public long aggregateSum(String topic) {
                return aggregateSums.getOrDefault(topic, 0L);
            }
        };
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
