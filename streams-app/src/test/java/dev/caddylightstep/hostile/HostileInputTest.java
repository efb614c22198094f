package dev.caddylightstep.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.SpanRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile corpus (test resources hostile/): every line ends in the dead-letter topic with a reason, or is
 * parsed into a sound request; the application keeps running, and counts reconcile.
 */
@ExtendWith(SharedBroker.class)
class HostileInputTest {
    private static final List<String> FILES = List.of("truncated.log", "deeply-nested.log", "huge-numbers.log", "nan-infinity.log",
            "type-swaps.log", "duplicate-keys.log", "null-fields.log", "control-chars.log", "invalid-utf8.bin");
    private static final Set<String> REASONS = Arrays.stream(DeadLetterReason.values()).map(DeadLetterReason::code).collect(Collectors.toSet());
    private static final String HEALTH = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));

    @TempDir
    Path dir;

    static List<byte[]> corpus() throws IOException {
        List<byte[]> lines = new ArrayList<>();
        for (String file : FILES) {
            try (InputStream in = HostileInputTest.class.getResourceAsStream("/hostile/" + file)) {
                byte[] all = in.readAllBytes();
                int start = 0;
                for (int i = 0; i < all.length; i++) {
                    if (all[i] == '\n') {
                        lines.add(Arrays.copyOfRange(all, start, i));
                        start = i + 1;
                    }
                }
            }
        }
        return lines;
    }

    /** A real line with a 1 MB header, as a client can send (Go's limit is 1 MB of header bytes). */
    static byte[] megabyteHeader() {
        return HEALTH.replace("\"Accept\":[\"*/*\"]", "\"Accept\":[\"*/*\"],\"X-Huge\":[\"" + "h".repeat(1_000_000) + "\"]")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A real line padded to 10 MB in its URI. */
    static byte[] tenMegabyteLine() {
        return HEALTH.replace("\"uri\":\"/health\"", "\"uri\":\"/health?" + "q".repeat(10_000_000) + "\"").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyHostileLineIsDeadLetteredWithAReasonOrParsedSoundly() throws IOException {
        List<byte[]> lines = corpus();
        try (PipelineHarness p = PipelineHarness.start()) {
            for (byte[] line : lines) {
                int spansBefore = p.spans().size();
                int deadBefore = p.deadLetters().size();
                double skippedBefore = p.metric("lines-skipped-total");
                p.sendBytes(line);
                int outcomes = (p.spans().size() - spansBefore) + (p.deadLetters().size() - deadBefore)
                        + (int) (p.metric("lines-skipped-total") - skippedBefore);
                assertThat(outcomes).as(new String(line, StandardCharsets.UTF_8)).isEqualTo(1);
            }
            for (TestRecord<byte[], byte[]> dead : p.deadLetters()) {
                assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isIn(REASONS);
                assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.MESSAGE)).isNotBlank();
                assertThat(lines).anySatisfy(line -> assertThat(dead.value()).isEqualTo(line));
                assertThat(dead.headers().lastHeader(DeadLetterHeaders.ORIGINAL_BYTES)).isNull();
            }
            for (Span span : p.spans()) {
                Map<String, Object> attributes = PipelineHarness.attributes(span);
                assertThat((long) attributes.get("http.response.status_code")).isBetween(100L, 999L);
                assertThat(span.getEndTimeUnixNano()).isGreaterThanOrEqualTo(span.getStartTimeUnixNano());
            }
            assertThat(p.deadLetters()).hasSizeGreaterThan(lines.size() / 2);
        }
    }

    @Test
    void aMegabyteHeaderIsParsedAndStaysOutOfTheSpan() {
        try (PipelineHarness p = PipelineHarness.start()) {
            Span span = p.sendBytes(megabyteHeader()).onlySpan();
            assertThat(span.getSerializedSize()).isLessThan(4096);
        }
    }

    @Test
    void aTenMegabyteLineIsDeadLetteredUnparsedWithItsSize() {
        byte[] line = tenMegabyteLine();
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendBytes(line);
            assertThat(p.spans()).isEmpty();
            TestRecord<byte[], byte[]> dead = p.deadLetters().get(0);
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("line-too-long");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.ORIGINAL_BYTES)).isEqualTo(Integer.toString(line.length));
            assertThat(dead.value()).hasSize(2 * 1024 * 1024);
        }
    }

    @Test
    void theApplicationOnARealBrokerKeepsRunningThroughTheWholeCorpus(EmbeddedKafka kafka) throws Exception {
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("hostile-input"));
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", dir.toString());
        raw.put("commit.interval.ms", "200");
        PipelineConfig config = PipelineConfig.from(Settings.of(raw));
        Topics topics = Topics.of(config.topics());
        List<NewTopic> layout = new ArrayList<>(TopicLayout.topics(config.topics(), 2, (short) 1));
        // an operator who let 16 MB records into caddy.access, so that the 10 MB line reaches the application
        layout.replaceAll(t -> t.name().equals(topics.access().name())
                ? new NewTopic(t.name(), 2, (short) 1).configs(Map.of("max.message.bytes", Integer.toString(16 * 1024 * 1024))) : t);
        kafka.createTopics(layout);
        List<byte[]> lines = new ArrayList<>(corpus());
        lines.add(megabyteHeader());
        lines.add(tenMegabyteLine());
        List<String> afterwards = CaddyCapture.lines("access.log").subList(0, 50);
        afterwards.forEach(l -> lines.add(l.getBytes(StandardCharsets.UTF_8)));
        Map<String, Object> producerProps = new HashMap<>(config.kafka());
        producerProps.remove("application.id");
        producerProps.remove("processing.guarantee");
        producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] line : lines) {
                producer.send(new ProducerRecord<>(topics.access().name(), 0, null, line)).get();
            }
        }
        int expectedSpans;
        int expectedRequests;
        int expectedDead;
        try (PipelineHarness reference = PipelineHarness.start()) {
            lines.forEach(reference::sendBytes);
            expectedSpans = reference.spans().size();
            expectedRequests = (int) reference.spans().stream().filter(span -> span.getKind() == Span.SpanKind.SPAN_KIND_SERVER).count();
            expectedDead = reference.deadLetters().size();
        }
        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            List<ConsumerRecord<byte[], byte[]>> spans = SpanRecords.readRequests(kafka.bootstrapServers(), topics.spans().name(), expectedRequests,
                    Duration.ofSeconds(90));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.accessDeadLetters().name(), expectedDead, Duration.ofSeconds(30));
            assertThat(SpanRecords.count(spans)).isEqualTo(expectedSpans);
            assertThat(dead).hasSize(expectedDead);
            assertThat(pipeline.isRunning()).isTrue();
            // the 10 MB line does not fit a dead-letter record: its first max-line-bytes do, with its size in a header
            byte[] tenMegabytes = tenMegabyteLine();
            assertThat(dead).anySatisfy(r -> {
                assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("line-too-long");
                assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.ORIGINAL_BYTES)).isEqualTo(Integer.toString(tenMegabytes.length));
                assertThat(r.value()).isEqualTo(Arrays.copyOf(tenMegabytes, config.logFormat().maxLineBytes()));
            });
        }
    }
}
