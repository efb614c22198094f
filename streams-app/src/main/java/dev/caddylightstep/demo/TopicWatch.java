package dev.caddylightstep.demo;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.WindowClosing;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.slo.SloAlertJson;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.otlp.SpanRecordReader;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.topology.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what the pipeline wrote, as any consumer of its topics would (read_committed): counts spans and dead
 * letters, keeps the latest aggregate of every window, writes --aggregates-out and --alerts-out, and follows how far the
 * windows have closed.
 */
final class TopicWatch implements Runnable, AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Topics topics;
    private final BufferedWriter aggregatesOut;
    private final BufferedWriter alertsOut;
    /**
     * Requests with spans on the spans topic: a record holds the spans of many, and each request has one SERVER span
     * there, and its upstream's CLIENT span when Caddy timed that.
     */
    private final AtomicLong spannedRequests = new AtomicLong();
    /** The spans of the spans topic's records. */
    private final AtomicLong spans = new AtomicLong();
    /** Dead letters of lines that never became a request: the shipper's, the parser's, the stages' before the span. */
    private final AtomicLong lineDeadLetters = new AtomicLong();
    /** Requests whose span is a dead letter (too large, or the span stage failed): they are in their windows. */
    private final AtomicLong spanDeadLetters = new AtomicLong();
    /** Requests in no window: late lines, and the requests of partials that came after their window was purged. */
    private final AtomicLong unwindowedRequests = new AtomicLong();
    private final Map<String, Long> deadLettersByReason = new ConcurrentHashMap<>();
    private final Map<String, Long> latestCounts = new ConcurrentHashMap<>();
    private final WindowClosing closing;
    /**
     * Reads the changelogs {@link #closing} follows. Apart from the other topics, which all exist before the pipeline
     * starts: the changelogs come later, and the rebalance that assigns them would take the other topics back and
     * read them again from their start (this group commits no offsets), counting everything twice. Read again, a
     * changelog says the same.
     */
    private final KafkaConsumer<byte[], byte[]> changelogs;
    /**
     * How long the topics' ends must stay where they are, the windows closed, before what closing them wrote counts as
     * read: a transaction's commit markers reach its partitions one at a time, so the alert written with a merging task's
     * time may become readable a moment after the time itself. Seen once in CI: the demo stopped with the merging task's
     * last time read and the page's resolution, written beside it, not.
     */
    private static final long ENDS_SETTLE_NANOS = Duration.ofMillis(500).toNanos();
    /** Where each topic ended once the windows had closed, to be read up to; none while they have not. */
    private Map<TopicPartition, Long> endsOnceClosed;
    /** When {@link #endsOnceClosed} were last seen to move. */
    private long endsMovedAt;
    private volatile boolean closedAndRead;
    private volatile boolean running = true;

    TopicWatch(String bootstrapServers, Topics topics, WindowClosing closing, Path aggregatesOut, Path alertsOut) {
        this.topics = topics;
        this.closing = closing;
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "caddy-lightstep-demo-watch");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "caddy-lightstep-demo-watch-closing");
        // the changelogs exist only once the pipeline has started: look for them often, and never make them
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1_000);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        this.changelogs = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.aggregatesOut = writer(aggregatesOut);
        this.alertsOut = writer(alertsOut);
    }

    private static BufferedWriter writer(Path file) {
        try {
            return file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topics.spans().name(), topics.accessDeadLetters().name(), topics.latencyByGroup().name(),
                topics.sloAlerts().name()));
        changelogs.subscribe(closing.topics());
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    take(record);
                }
                for (ConsumerRecord<byte[], byte[]> record : changelogs.poll(Duration.ofMillis(20))) {
                    if (closing.take(record.topic(), record.partition(), record.key(), record.value())) {
                        endsOnceClosed = null;
                        closedAndRead = false;
                    }
                }
                for (BufferedWriter out : new BufferedWriter[] {aggregatesOut, alertsOut}) {
                    if (out != null) {
                        out.flush();
                    }
                }
                followClosing();
            }
        } catch (WakeupException e) {
            // close() asked to stop
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the aggregates or alerts file: " + e.getMessage(), e);
        } finally {
            consumer.close();
            changelogs.close();
            closeOutput();
        }
    }

    private void closeOutput() {
        for (BufferedWriter out : new BufferedWriter[] {aggregatesOut, alertsOut}) {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot finish the aggregates or alerts file: " + e.getMessage(), e);
                }
            }
        }
    }

    private void take(ConsumerRecord<byte[], byte[]> record) throws IOException {
        if (record.topic().equals(topics.spans().name())) {
            countSpans(record.value());
        } else if (record.topic().equals(topics.accessDeadLetters().name())) {
            deadLetter(record);
        } else if (record.topic().equals(topics.sloAlerts().name())) {
            if (alertsOut != null) {
                SloAlertRecord alert = topics.sloAlerts().valueSerde().deserializer().deserialize(record.topic(), record.value());
                alertsOut.write(SloAlertJson.line(alert));
                alertsOut.newLine();
            }
        } else {
            LatencyAggregateRecord window = topics.latencyByGroup().valueSerde().deserializer().deserialize(record.topic(), record.value());
            latestCounts.put(window.getGroup() + "@" + window.getWindowStartMs(), window.getCount());
            if (aggregatesOut != null) {
                aggregatesOut.write(AggregateJson.line(window));
                aggregatesOut.newLine();
            }
        }
    }

    /**
     * A dead letter is a line's, a span's or a window's, by the stage that wrote it: the windows are made beside the
     * spans, so a request whose span failed is still in its window, and a late one still has its span.
     */
    private void deadLetter(ConsumerRecord<byte[], byte[]> record) throws IOException {
        String stage = String.valueOf(DeadLetterHeaders.text(record.headers(), DeadLetterHeaders.STAGE));
        switch (stage) {
            case "aggregate" -> unwindowedRequests.incrementAndGet();
            // a partial after its window was purged: its dead letter says how many requests it held
            case "merge" -> unwindowedRequests.addAndGet(AggregateJson.JSON.readTree(record.value()).path("requests").asLong());
            case "span" -> spanDeadLetters.incrementAndGet();
            default -> {
                lineDeadLetters.incrementAndGet();
                deadLettersByReason.merge(String.valueOf(DeadLetterHeaders.text(record.headers(), DeadLetterHeaders.REASON)), 1L, Long::sum);
            }
        }
    }

    /** The spans on the topic, as many as the forwarder must have had acknowledged. */
    long spans() {
        return spans.get();
    }

    /** Requests: those with spans on the spans topic, and those whose span is a dead letter. */
    long requests() {
        return spannedRequests.get() + spanDeadLetters.get();
    }

    /**
     * Counts a record's spans and its requests, without decoding them. A record that is no OTLP export counts as one span
     * of one request: the forwarder dead-letters it, which counts as acknowledged.
     */
    private void countSpans(byte[] record) {
        try {
            spans.addAndGet(Math.max(SpanRecordReader.spanCount(record), 1));
            spannedRequests.addAndGet(Math.max(SpanRecordReader.requestCount(record), 1));
        } catch (InvalidProtocolBufferException e) {
            spans.incrementAndGet();
            spannedRequests.incrementAndGet();
        }
    }

    /** Lines that never became a request: dead-lettered by the shipper (too long), the parser, or a stage before the span. */
    long lineDeadLetters() {
        return lineDeadLetters.get();
    }

    /** The line dead letters by reason, e.g. invalid-value=2 line-too-long=1, in the reasons' order. */
    String lineDeadLettersByReason() {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(deadLettersByReason).forEach((reason, count) -> text.append(text.length() == 0 ? "" : " ").append(reason).append('=').append(count));
        return text.toString();
    }

    /** Requests in no window: late, or in a partial that came after its window was purged. */
    long unwindowedRequests() {
        return unwindowedRequests.get();
    }

    long windows() {
        return latestCounts.size();
    }

    /** Requests counted in the latest value of every window. */
    long aggregatedRequests() {
        return latestCounts.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Once every window the lines close has closed, reads every topic up to where it ends, once those ends have held for
     * {@link #ENDS_SETTLE_NANOS}: closing them wrote its alerts in the transaction that saved the merging tasks' times,
     * so what it wrote is there by that end, once the transaction's markers have reached every partition.
     */
    private void followClosing() {
        if (!changelogs.assignment().containsAll(closing.partitions()) || !closing.caughtUp()) {
            endsOnceClosed = null;
            closedAndRead = false;
        } else if (!closedAndRead) {
            Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(consumer.assignment()));
            ends.putAll(changelogs.endOffsets(changelogs.assignment()));
            if (!ends.equals(endsOnceClosed)) {
                endsOnceClosed = ends;
                endsMovedAt = System.nanoTime();
            }
            closedAndRead = System.nanoTime() - endsMovedAt >= ENDS_SETTLE_NANOS
                    && endsOnceClosed.entrySet().stream().allMatch(end -> end.getValue() <= (closing.topics().contains(end.getKey().topic())
                    ? changelogs : consumer).position(end.getKey()));
        }
    }

    /** Whether every window the lines read so far close has closed, and what closing it wrote has been read. */
    boolean windowsClosed() {
        return closedAndRead;
    }

    /** Where closing the windows stands, for a message. */
    String closingText() {
        return closing.describe();
    }

    /** Stops reading; the thread running this closes the consumer and the aggregates file. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        changelogs.wakeup();
    }
}
