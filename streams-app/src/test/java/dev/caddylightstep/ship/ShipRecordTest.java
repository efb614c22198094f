package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What a shipped record carries: the line's time, the configured key, and for an over-long line a dead letter saying where it is. */
@ExtendWith(SharedBroker.class)
class ShipRecordTest {
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("time.access", 1, (short) 1), new NewTopic("key.access", 1, (short) 1),
                new NewTopic("long.access", 1, (short) 1), new NewTopic("long.dlq", 1, (short) 1), new NewTopic("record.dlq", 1, (short) 1),
                // as topics create makes them
                new NewTopic("longkey.access", 1, (short) 1).configs(Map.of("max.message.bytes", "4194304"))));
    }

    @Test
    void theRecordTimeIsTheLinesTimeInSecondsOrRfc3339() throws Exception {
        // access.log has Caddy's default unix-seconds float; netlog.ndjson was written with time_format rfc3339_nano
        List<String> lines = new ArrayList<>(CaddyCapture.lines("access.log"));
        lines.addAll(CaddyCapture.lines("netlog.ndjson"));
        List<ConsumerRecord<byte[], byte[]>> records = ship(lines, "time.access");

        assertThat(records).hasSize(lines.size());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            var ts = CaddyCapture.tree(new String(record.value(), StandardCharsets.UTF_8)).get("ts");
            long expected = ts.isTextual() ? Instant.parse(ts.asText()).toEpochMilli()
                    : new BigDecimal(ts.asText()).movePointRight(3).longValue();
            assertThat(record.timestamp()).isEqualTo(expected);
        }
    }

    @Test
    void aLineFromAClockAheadIsShippedAtTheShippersTimeAndTheBrokerTakesIt() throws Exception {
        // the topic stands for a broker whose clock is a minute behind the shipper's: with the default
        // log.message.timestamp.after.max.ms of an hour, it refuses a CreateTime more than 59 minutes ahead of the shipper's clock
        kafka.createTopics(List.of(new NewTopic("future.access", 1, (short) 1).configs(Map.of("message.timestamp.after.max.ms", "3540000"))));
        List<String> lines = new ArrayList<>(CaddyCapture.lines("access.log").subList(0, 20));
        long before = System.currentTimeMillis();
        String ahead = CaddyCapture.withField(lines.get(5), "ts", new BigDecimal(before + 59 * 60_000L + 30_000L).movePointLeft(3));
        lines.add(10, ahead);
        List<ConsumerRecord<byte[], byte[]>> records = ship(lines, "future.access");
        long after = System.currentTimeMillis();

        assertThat(records).hasSize(lines.size());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            String line = new String(record.value(), StandardCharsets.UTF_8);
            if (line.equals(ahead)) {
                assertThat(record.timestamp()).isBetween(before, after);
            } else {
                assertThat(record.timestamp()).isEqualTo(new BigDecimal(CaddyCapture.tree(line).get("ts").asText()).movePointRight(3).longValue());
            }
        }
    }

    @Test
    void theKeyFieldsValueIsTheKey() throws Exception {
        List<String> lines = CaddyCapture.lines("access.log");
        List<ConsumerRecord<byte[], byte[]>> records = ship(lines, "key.access", "--key-field", "request.host");

        assertThat(records).hasSize(lines.size());
        assertThat(records).allSatisfy(record -> assertThat(new String(record.key(), StandardCharsets.UTF_8))
                .isEqualTo(CaddyCapture.tree(new String(record.value(), StandardCharsets.UTF_8)).path("request").path("host").asText()));
        assertThat(records.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).distinct()).hasSizeGreaterThan(1);
    }

    /**
     * The key is a field of the line, as long as the line at most: a line under --max-line-bytes whose key field is most
     * of it (a 500,000-character URI, the client's to choose) is shipped with its key. The producer's max.request.size
     * left room for the line alone, and such a line was dead-lettered as too long.
     */
    @Test
    void aLineUnderTheMaximumIsShippedWhateverItsKeyFieldHolds() throws Exception {
        String line = CaddyCapture.withRequestField(CaddyCapture.lines("access.log").get(0), "uri", "/" + "u".repeat(500_000));
        List<String> lines = List.of(CaddyCapture.withField(line, "padding", "p".repeat(200_000)), CaddyCapture.lines("access.log").get(1));
        List<ConsumerRecord<byte[], byte[]>> records = ship(lines, "longkey.access", "--key-field", "request.uri");

        assertThat(records).hasSize(2);
        assertThat(records.get(0).key()).hasSize(500_001);
        assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8)).isEqualTo(lines.get(0));
    }

    @Test
    void aLineLongerThanTheMaximumIsDeadLetteredWithItsPositionAndTheRestIsShipped() throws Exception {
        List<String> lines = CaddyCapture.lines("access.log");
        int max = 4096;
        List<String> fitting = lines.stream().filter(l -> l.getBytes(StandardCharsets.UTF_8).length <= max).toList();
        List<Long> longOffsets = new ArrayList<>();
        List<String> longLines = new ArrayList<>();
        long offset = 0;
        for (String line : lines) {
            int length = line.getBytes(StandardCharsets.UTF_8).length;
            if (length > max) {
                longOffsets.add(offset);
                longLines.add(line);
            }
            offset += length + 1;
        }
        Path log = dir.resolve("long.log");
        Files.writeString(log, String.join("\n", lines) + "\n");
        try (InProcessShipper shipper = InProcessShipper.start("--file", log.toString(), "--from-beginning",
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "long.access", "--set", "caddy.topic.access-dlq=long.dlq",
                "--max-line-bytes", Integer.toString(max), "--progress-interval", "0")) {
            List<String> shipped = TopicRecords.values(kafka.bootstrapServers(), "long.access", fitting.size(), Duration.ofSeconds(30));
            List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicRecords.readAtLeast(kafka.bootstrapServers(), "long.dlq", longLines.size(),
                    Duration.ofSeconds(30));
            assertThat(shipper.exited()).isFalse();
            assertThat(shipper.stop()).isZero();

            assertThat(longLines).hasSize(11);
            assertThat(shipped).containsExactlyElementsOf(fitting);
            assertThat(deadLetters).hasSize(longLines.size());
            for (int i = 0; i < deadLetters.size(); i++) {
                ConsumerRecord<byte[], byte[]> dead = deadLetters.get(i);
                byte[] line = longLines.get(i).getBytes(StandardCharsets.UTF_8);
                assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("line-too-long");
                assertThat(DeadLetterHeaders.text(dead.headers(), "caddy.dlq.source.file")).isEqualTo(log.toAbsolutePath().toString());
                assertThat(DeadLetterHeaders.text(dead.headers(), "caddy.dlq.source.offset")).isEqualTo(longOffsets.get(i).toString());
                assertThat(DeadLetterHeaders.text(dead.headers(), "caddy.dlq.source.length")).isEqualTo(Integer.toString(line.length));
                assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.MESSAGE)).contains("--max-line-bytes " + max);
                assertThat(dead.value()).isEqualTo(Arrays.copyOf(line, max));
            }
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> ship(List<String> lines, String topic, String... options) throws Exception {
        Path log = dir.resolve(topic + ".log");
        Files.writeString(log, String.join("\n", lines) + "\n");
        List<String> args = new ArrayList<>(List.of("--file", log.toString(), "--from-beginning", "--bootstrap-servers",
                kafka.bootstrapServers(), "--topic", topic, "--set", "caddy.topic.access-dlq=record.dlq", "--progress-interval", "0"));
        args.addAll(List.of(options));
        try (InProcessShipper shipper = InProcessShipper.start(args.toArray(String[]::new))) {
            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAtLeast(kafka.bootstrapServers(), topic, lines.size(), Duration.ofSeconds(30));
            assertThat(shipper.stop()).isZero();
            return records;
        }
    }
}
