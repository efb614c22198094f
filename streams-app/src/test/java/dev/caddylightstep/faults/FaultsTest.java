package dev.caddylightstep.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.SpanRecords;
import dev.caddylightstep.testing.capture.ReplayedCapture;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults while lines flow, on a real broker: the broker stops and starts again on the same data, and a second
 * instance of the application joins and then leaves. Afterwards every window holds exactly the expected count
 * and every request has exactly one span. Each test has a broker of its own, not the shared one: the first restarts it.
 */
class FaultsTest {
    private static ReplayedCapture capture;

    @TempDir
    Path dir;

    @BeforeAll
    static void input() {
        // 8 consecutive minutes of the captured traffic: about 11,700 real lines
        capture = new ReplayedCapture(8);
    }

    private PipelineConfig config(EmbeddedKafka kafka, String instance) {
        Map<String, String> raw = new HashMap<>();
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put(StreamsConfig.APPLICATION_ID_CONFIG, "faults");
        raw.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(instance).toString());
        raw.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        raw.put("session.timeout.ms", "6000");
        raw.put("heartbeat.interval.ms", "1000");
        raw.put("caddy.window.grace", "3h");
        raw.put("caddy.window.retention", "4h");
        return PipelineConfig.from(Settings.of(raw));
    }

    private static Topics prepare(EmbeddedKafka kafka, PipelineConfig config) {
        kafka.createTopics(TopicLayout.topics(config.topics(), 4, (short) 1));
        TableLoader.load(config.kafka(), Topics.of(config.topics()).identities(), ReplayedCapture.identities(), Identity::id);
        return Topics.of(config.topics());
    }

    /**
     * Produces the lines in small batches, about a thousand a second, through whatever happens to the broker; the second
     * half only once {@code secondHalf} opens, so that what the test does there happens while lines flow, however long
     * it took to get there.
     */
    private static Thread flow(EmbeddedKafka kafka, Topics topics, AtomicInteger sent, CountDownLatch secondHalf) {
        Thread producing = new Thread(() -> {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                List<byte[]> lines = capture.bytes();
                for (int i = 0; i < lines.size(); i++) {
                    if (i == lines.size() / 2) {
                        secondHalf.await();
                    }
                    producer.send(new ProducerRecord<>(topics.access().name(), lines.get(i)), (m, e) -> {
                        if (e == null) {
                            sent.incrementAndGet();
                        }
                    });
                    if (i % 200 == 199) {
                        producer.flush();
                        Thread.sleep(200);
                    }
                }
                producer.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "line-flow");
        producing.start();
        return producing;
    }

    private static Map<String, Long> finalWindows(EmbeddedKafka kafka, Topics topics) {
        return latestCounts(topics, TopicRecords.readUntil(kafka.bootstrapServers(), topics.latencyByGroup().name(),
                read -> latestCounts(topics, read).equals(capture.expectedWindows()), Duration.ofSeconds(180)));
    }

    private static Map<String, Long> latestCounts(Topics topics, List<ConsumerRecord<byte[], byte[]>> read) {
        Map<String, Long> latest = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : read) {
            LatencyAggregateRecord w = topics.latencyByGroup().valueSerde().deserializer().deserialize(r.topic(), r.value());
            latest.put(w.getGroup() + "@" + w.getWindowStartMs(), w.getCount());
        }
        return latest;
    }

    /** How many lines the application has committed having read: a record of spans holds the spans of many. */
    private static long linesCommitted(EmbeddedKafka kafka, Topics topics) {
        return TopicRecords.committedOffsets(kafka.bootstrapServers(), "faults", topics.access().name());
    }

    /** Each line's request has its span once. */
    private static void assertEveryRequestsSpanOnce(EmbeddedKafka kafka, Topics topics) {
        List<ConsumerRecord<byte[], byte[]>> spans = SpanRecords.readRequests(kafka.bootstrapServers(), topics.spans().name(),
                capture.lines().size(), Duration.ofSeconds(60));
        assertThat(SpanRecords.requests(spans)).isEqualTo(capture.lines().size());
        assertThat(SpanRecords.spans(spans).stream().map(span -> span.traceIdHex() + "/" + span.spanIdHex())).doesNotHaveDuplicates();
    }

    @Test
    void aBrokerRestartWhileLinesFlowLosesNothingAndCountsNothingTwice() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("broker")).build().start()) {
            PipelineConfig config = config(kafka, "only");
            Topics topics = prepare(kafka, config);
            AtomicInteger sent = new AtomicInteger();
            try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
                Thread producing = flow(kafka, topics, sent, new CountDownLatch(0));
                await().atMost(Duration.ofSeconds(60)).until(() -> linesCommitted(kafka, topics) > capture.lines().size() / 4);
                kafka.stop();
                Thread.sleep(5000);
                kafka.start();
                producing.join(180_000);
                assertThat(sent.get()).isEqualTo(capture.lines().size());
                assertThat(finalWindows(kafka, topics)).isEqualTo(capture.expectedWindows());
                assertEveryRequestsSpanOnce(kafka, topics);
                assertThat(pipeline.isRunning()).isTrue();
            }
        }
    }

    @Test
    void aSecondInstanceJoiningAndLeavingMidStreamChangesNoCount() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            PipelineConfig first = config(kafka, "first");
            Topics topics = prepare(kafka, first);
            AtomicInteger sent = new AtomicInteger();
            try (PipelineStreams a = new PipelineStreams(first).start()) {
                // a slow start of the second instance outlasted the whole flow once: its second half waits for it
                CountDownLatch secondRuns = new CountDownLatch(1);
                Thread producing = flow(kafka, topics, sent, secondRuns);
                await().atMost(Duration.ofSeconds(60)).until(() -> linesCommitted(kafka, topics) > capture.lines().size() / 5);
                try (PipelineStreams b = new PipelineStreams(config(kafka, "second")).start()) {
                    assertThat(b.awaitRunning(Duration.ofSeconds(60))).isTrue();
                    long joinedAt = linesCommitted(kafka, topics);
                    secondRuns.countDown();
                    await().atMost(Duration.ofSeconds(60)).until(() -> linesCommitted(kafka, topics) > joinedAt + 500);
                }
                producing.join(180_000);
                assertThat(finalWindows(kafka, topics)).isEqualTo(capture.expectedWindows());
                assertEveryRequestsSpanOnce(kafka, topics);
            }
        }
    }
}
