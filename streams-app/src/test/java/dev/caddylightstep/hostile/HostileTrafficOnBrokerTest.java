package dev.caddylightstep.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.SpanRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single records that used to stop a partition for good on a real broker under exactly-once: each now ends in the
 * dead-letter topic with its reason, and the real lines after it are processed. On the broker the test classes share,
 * each test has its own topics and application.id.
 */
@ExtendWith(SharedBroker.class)
class HostileTrafficOnBrokerTest {
    private static final List<String> REAL = CaddyCapture.lines("access.log").subList(0, 40);
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker(EmbeddedKafka shared) {
        kafka = shared;
    }

    /** A pipeline of its own: topics prefixed for this test, two partitions each. */
    private PipelineConfig pipeline(Map<String, String> settings) {
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, String> raw = new HashMap<>(settings);
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("application.id", prefix + "app");
        raw.put("state.dir", dir.toString());
        raw.put("commit.interval.ms", "200");
        for (String key : List.of("access", "access-dlq", "identities", "policies", "spans", "spans-dlq", "latency-by-group", "latency-by-route")) {
            raw.put("caddy.topic." + key, prefix + key);
        }
        PipelineConfig config = PipelineConfig.from(Settings.of(raw));
        kafka.createTopics(TopicLayout.topics(config.topics(), 2, (short) 1));
        return config;
    }

    private static void produce(PipelineConfig config, int partition, List<byte[]> lines) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] line : lines) {
                producer.send(new ProducerRecord<>(config.topics().access(), partition, null, line)).get();
            }
        }
    }

    private static List<byte[]> utf8(List<String> lines) {
        return lines.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList();
    }

    private static String at(String line, long epochMillis) {
        return CaddyCapture.withField(line, "ts", BigDecimal.valueOf(epochMillis).movePointLeft(3));
    }

    private static String reason(ConsumerRecord<byte[], byte[]> record) {
        return DeadLetterHeaders.text(record.headers(), DeadLetterHeaders.REASON);
    }

    private static String stage(ConsumerRecord<byte[], byte[]> record) {
        return DeadLetterHeaders.text(record.headers(), DeadLetterHeaders.STAGE);
    }

    /**
     * Bytes that are not UTF-8 in a path, from anyone who reaches the shipper's port: each becomes U+FFFD, three bytes,
     * so a line within the limit makes a span three times its size, more than the application's producer takes. Sent,
     * the producer's refusal failed the transaction, and the task read the same line again, forever.
     */
    @Test
    void aSpanLargerThanTheApplicationWritesIsDeadLetteredAndThePartitionMovesOn() throws Exception {
        PipelineConfig config = pipeline(Map.of("producer.max.request.size", "262144", "caddy.log.max-line-bytes", "196608"));
        String health = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        String[] around = health.split("\"uri\":\"/health\"");
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.writeBytes((around[0] + "\"uri\":\"/").getBytes(StandardCharsets.UTF_8));
        byte[] notUtf8 = new byte[100_000];
        java.util.Arrays.fill(notUtf8, (byte) 0xFF);
        line.writeBytes(notUtf8);
        line.writeBytes(("\"" + around[1]).getBytes(StandardCharsets.UTF_8));
        List<byte[]> input = new ArrayList<>();
        input.add(line.toByteArray());
        input.addAll(utf8(REAL));
        produce(config, 0, input);
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            List<ConsumerRecord<byte[], byte[]>> spans = SpanRecords.readRequests(kafka.bootstrapServers(), config.topics().spans(), REAL.size(),
                    Duration.ofSeconds(90));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), config.topics().accessDeadLetters(), 1,
                    Duration.ofSeconds(30));
            assertThat(SpanRecords.requests(spans)).isEqualTo(REAL.size());
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(reason(d)).isEqualTo("too-large");
                assertThat(stage(d)).isEqualTo("span");
                assertThat(d.value()).isEqualTo(input.get(0));
            });
            assertThat(pipeline.isRunning()).isTrue();
        }
    }

    /**
     * A line two hours ahead of the clock: its span's record time would be too, and the broker refuses a record more
     * than an hour ahead of its own clock, failing the transaction again and again. It is refused first, as future.
     */
    @Test
    void aLineTwoHoursAheadIsDeadLetteredAsFutureAndThePartitionMovesOn() throws Exception {
        PipelineConfig config = pipeline(Map.of());
        String ahead = at(REAL.get(0), System.currentTimeMillis() + Duration.ofHours(2).toMillis());
        List<String> input = new ArrayList<>(List.of(ahead));
        input.addAll(REAL);
        produce(config, 0, utf8(input));
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            List<ConsumerRecord<byte[], byte[]>> spans = SpanRecords.readRequests(kafka.bootstrapServers(), config.topics().spans(), REAL.size(),
                    Duration.ofSeconds(90));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), config.topics().accessDeadLetters(), 1,
                    Duration.ofSeconds(30));
            assertThat(SpanRecords.requests(spans)).isEqualTo(REAL.size());
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(reason(d)).isEqualTo("future");
                assertThat(new String(d.value(), StandardCharsets.UTF_8)).isEqualTo(ahead);
            });
            assertThat(pipeline.isRunning()).isTrue();
        }
    }

    /**
     * One partition moves two hours on (past the windows' retention) while the other stands still long enough to hold
     * back no one (its task's time unmoved for more than half a minute: an idle partition), then brings one more line for
     * the first window: its partial reaches the group's task after that window was purged. Written, it would have
     * replaced the whole window on the compacted topic with its own single request; it is dead-lettered as late instead.
     * (A task that is merely behind holds the windows open: MergeTimeTest.)
     */
    @Test
    void aPartialForAPurgedWindowIsDeadLetteredNotWrittenOverTheWindow() throws Exception {
        PipelineConfig config = pipeline(Map.of());
        String health = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        long start = 1_795_566_960_000L;
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            first.add(at(health, start + 1_000 + i));
        }
        // a route each: the partials carry the task's time on to the group's task, whose clock follows their 16th latest
        List<String> twoHoursOn = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            // letters past f: a segment of digits or hex would become the one route /later/{id}
            String route = "/later/" + "ghijklmnopqrstuvwxyz".charAt(i / 20) + "ghijklmnopqrstuvwxyz".charAt(i % 20);
            twoHoursOn.add(at(CaddyCapture.withRequestField(health, "uri", route), start + Duration.ofHours(2).toMillis() + i));
        }
        Topics topics = Topics.of(config.topics());
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            produce(config, 0, utf8(first));
            produce(config, 1, utf8(first));
            awaitWindow(topics, config, start, 40);
            // the merge's SOURCE_SILENCE_MS (30 s) and a margin: partition 1's task then holds back no one
            Thread.sleep(32_000);
            produce(config, 0, utf8(twoHoursOn));
            awaitWindow(topics, config, start + Duration.ofHours(2).toMillis(), 60);
            produce(config, 1, utf8(List.of(at(health, start + 2_000))));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), config.topics().accessDeadLetters(), 1,
                    Duration.ofSeconds(60));
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(reason(d)).isEqualTo("late");
                assertThat(stage(d)).isEqualTo("merge");
                assertThat(new String(d.value(), StandardCharsets.UTF_8)).contains("\"requests\":1");
            });
            assertThat(latestWindows(topics, config).get("anonymous@" + start).getCount()).isEqualTo(40);
        }
    }

    private static void awaitWindow(Topics topics, PipelineConfig config, long windowStart, long count) {
        TopicRecords.readUntil(kafka.bootstrapServers(), config.topics().latencyByGroup(), read -> {
            LatencyAggregateRecord latest = latest(topics, read).get("anonymous@" + windowStart);
            return latest != null && latest.getCount() == count;
        }, Duration.ofSeconds(90));
    }

    private static Map<String, LatencyAggregateRecord> latestWindows(Topics topics, PipelineConfig config) {
        return latest(topics, TopicRecords.readUntil(kafka.bootstrapServers(), config.topics().latencyByGroup(), read -> false, Duration.ofSeconds(3)));
    }

    private static Map<String, LatencyAggregateRecord> latest(Topics topics, List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, LatencyAggregateRecord> latest = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            LatencyAggregateRecord window = topics.latencyByGroup().valueSerde().deserializer().deserialize(record.topic(), record.value());
            latest.put(window.getGroup() + "@" + window.getWindowStartMs(), window);
        }
        return latest;
    }
}
