package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipper follows a log through Caddy-style rolling while it runs, and every line arrives once, in order; and
 * through logrotate's copytruncate, from the start of the file's new content.
 */
@ExtendWith(SharedBroker.class)
class ShipFileRotationTest {
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("rotation.access", 1, (short) 1), new NewTopic("rotation.dlq", 1, (short) 1),
                new NewTopic("burst.access", 1, (short) 1), new NewTopic("truncate.access", 1, (short) 1),
                new NewTopic("deleted.access", 1, (short) 1), new NewTopic("cut.access", 1, (short) 1),
                new NewTopic("linked.access", 1, (short) 1)));
    }

    /** The shipper's arguments for {@code file} from its beginning into {@code topic}, dead letters into rotation.dlq. */
    private static String[] shipping(Path file, String topic) {
        return new String[] {"--file", file.toString(), "--from-beginning", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic,
                "--set", "caddy.topic.access-dlq=rotation.dlq", "--progress-interval", "0"};
    }

    /** Ships until {@code topic} has {@code records} records, then stops the shipper, which exits 0. */
    private static void shipThenStop(String[] args, String topic, int records) throws Exception {
        try (InProcessShipper shipper = InProcessShipper.start(args)) {
            TopicRecords.values(kafka.bootstrapServers(), topic, records, Duration.ofSeconds(30));
            assertThat(shipper.stop()).isZero();
        }
    }

    @Test
    void everyLineArrivesOnceInOrderThroughRotations() throws Exception {
        List<String> lines = NumberedLines.of(3000, 20_000);
        Path live = dir.resolve("access.log");
        int rotations = 0;
        try (CaddyStyleLog log = new CaddyStyleLog(live);
                InProcessShipper shipper = InProcessShipper.start(shipping(live, "rotation.access"))) {
            shipper.awaitFollowing(live);
            for (int i = 0; i < lines.size(); i++) {
                log.write(lines.get(i));
                if (i % 40 == 39) {
                    Thread.sleep(3);
                }
                if (i % 300 == 299) {
                    // alternately: gzip at once (the shipper may only find the .gz), later, or roll twice in a row
                    // so that a whole rotated file passes while the shipper still reads the one before
                    rotations++;
                    log.rotate(rotations % 3 == 0 ? 0 : 30);
                    if (rotations % 4 == 0 && i + 1 < lines.size()) {
                        log.write(lines.get(++i));
                        rotations++;
                        log.rotate(0);
                    }
                }
            }
            log.awaitCompression();
            List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "rotation.access", lines.size(), Duration.ofSeconds(60));

            assertThat(shipper.stop()).isZero();
            assertThat(rotations).isGreaterThanOrEqualTo(10);
            assertThat(log.rotated()).allSatisfy(p -> assertThat(p.resolveSibling(p.getFileName() + ".gz")).exists());
            assertThat(arrived).hasSize(lines.size());
            assertThat(arrived).containsExactlyElementsOf(lines);
        }
    }

    /**
     * The live file deleted (rm), Caddy writing on to it through its handle, and then a new file made at its name: the
     * shipper reads the deleted one to its end and goes on with the new one. At the live name's absence it looked for
     * the next file by time and took the previous roll's .gz, written after the deleted file was opened, and shipped
     * all of it again.
     */
    @Test
    void aLiveFileDeletedAndMadeAgainIsReadToItsEndThenTheNewOneAndNothingIsShippedTwice() throws Exception {
        List<String> lines = NumberedLines.of(260, 60_000);
        Path live = dir.resolve("deleted.log");
        try (CaddyStyleLog log = new CaddyStyleLog(live);
                InProcessShipper shipper = InProcessShipper.start(shipping(live, "deleted.access"))) {
            shipper.awaitFollowing(live);
            lines.subList(0, 100).forEach(log::write);
            log.rotate(0);
            lines.subList(100, 200).forEach(log::write);
            TopicRecords.values(kafka.bootstrapServers(), "deleted.access", 200, Duration.ofSeconds(30));
            Files.delete(live);
            lines.subList(200, 210).forEach(log::write);
            Thread.sleep(1_000);
            Files.write(live, lines.subList(210, 260));
            List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "deleted.access", 260, Duration.ofSeconds(30));
            // time for a second copy of anything to arrive
            Thread.sleep(3_000);

            assertThat(TopicRecords.endOffsets(kafka.bootstrapServers(), "deleted.access")).isEqualTo(260);
            assertThat(arrived).containsExactlyElementsOf(lines);
            assertThat(shipper.stop()).isZero();
        }
    }

    /**
     * A rolled .gz cut short (a crash while it was written: lumberjack does not sync it before it
     * deletes the copy) is read as far as it goes and the shipper goes on with the next file, the rest of it lost with a
     * warning that names it. The shipper stopped, naming the live file, at its first start and at every start after.
     */
    @Test
    void aGzipCutShortIsReadAsFarAsItGoesAndTheShipperGoesOnWithTheNextFile() throws Exception {
        List<String> lines = NumberedLines.of(3000, 70_000);
        Path live = dir.resolve("cut.log");
        String[] args = shipping(live, "cut.access");
        try (CaddyStyleLog log = new CaddyStyleLog(live)) {
            lines.subList(0, 100).forEach(log::write);
            shipThenStop(args, "cut.access", 100);
            lines.subList(100, 2900).forEach(log::write);
            Path rolled = log.rotate(0);
            Path gz = rolled.resolveSibling(rolled.getFileName() + ".gz");
            byte[] whole = Files.readAllBytes(gz);
            Files.write(gz, Arrays.copyOf(whole, whole.length / 2));
            lines.subList(2900, 3000).forEach(log::write);

            try (InProcessShipper shipper = InProcessShipper.start(args)) {
                List<String> arrived = TopicRecords.readUntil(kafka.bootstrapServers(), "cut.access",
                        read -> read.size() >= 200 && new String(read.get(read.size() - 1).value(), StandardCharsets.UTF_8)
                                .equals(lines.get(2999)), Duration.ofSeconds(30))
                        .stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();

                assertThat(shipper.exited()).as(shipper.stderr()).isFalse();
                assertThat(arrived.subList(arrived.size() - 100, arrived.size())).containsExactlyElementsOf(lines.subList(2900, 3000));
                // as far as the .gz goes, in order, then at most a piece of the line it cut
                List<String> fromTheGzip = arrived.subList(100, arrived.size() - 100);
                assertThat(fromTheGzip.size()).isBetween(100, 2800);
                assertThat(fromTheGzip.subList(0, fromTheGzip.size() - 1)).containsExactlyElementsOf(lines.subList(100, 100 + fromTheGzip.size() - 1));
                assertThat(shipper.stop()).isZero();
            }
        }
    }

    /**
     * --file a link to the log (a volume mounted elsewhere, say): Caddy rolls the file where it is, and the shipper
     * looks for the rolled copies there. It looked beside the link, found none, and after a roll while it was stopped
     * took the new live file for the next one: the rest of the checkpointed file was lost.
     */
    @Test
    void aLogGivenByALinkIsFollowedThroughARollWhileTheShipperWasStopped() throws Exception {
        List<String> lines = NumberedLines.of(200, 80_000);
        Path real = Files.createDirectories(dir.resolve("real")).resolve("access.log");
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("linked")).resolve("access.log"), real);
        String[] args = shipping(link, "linked.access");
        try (CaddyStyleLog log = new CaddyStyleLog(real)) {
            lines.subList(0, 100).forEach(log::write);
            shipThenStop(args, "linked.access", 100);
            lines.subList(100, 150).forEach(log::write);
            log.rotate(0);
            lines.subList(150, 200).forEach(log::write);

            try (InProcessShipper shipper = InProcessShipper.start(args)) {
                List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "linked.access", 200, Duration.ofSeconds(30));

                assertThat(arrived).as(shipper.stderr()).containsExactlyElementsOf(lines);
                assertThat(shipper.stop()).isZero();
            }
        }
    }

    @Test
    void aFileRolledAndGzippedBeforeTheShipperOpenedItIsReadFromTheGzip() throws Exception {
        List<String> lines = NumberedLines.of(900, 40_000);
        Path live = dir.resolve("burst.log");
        try (CaddyStyleLog log = new CaddyStyleLog(live)) {
            lines.subList(0, 300).forEach(log::write);
            try (InProcessShipper shipper = InProcessShipper.start(shipping(live, "burst.access"))) {
                TopicRecords.values(kafka.bootstrapServers(), "burst.access", 300, Duration.ofSeconds(30));
                // two rolls between two looks of the shipper: the middle file is gzipped and gone before it is opened
                log.rotate(0);
                lines.subList(300, 600).forEach(log::write);
                log.rotate(0);
                lines.subList(600, 900).forEach(log::write);
                List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "burst.access", lines.size(), Duration.ofSeconds(30));

                assertThat(shipper.stop()).isZero();
                assertThat(Files.list(dir).filter(p -> p.getFileName().toString().startsWith("burst-")).toList())
                        .allSatisfy(p -> assertThat(p.toString()).endsWith(".log.gz"));
                assertThat(arrived).containsExactlyElementsOf(lines);
            }
        }
    }

    @Test
    void aFileTruncatedInPlaceAndRefilledPastTheReadPositionIsReadAgainFromItsStart() throws Exception {
        List<String> before = NumberedLines.of(200, 100_000);
        // more bytes than before: by the shipper's next look, the file is longer than what it had read
        List<String> after = NumberedLines.of(400, 200_000);
        Path live = dir.resolve("copied.log");
        // Caddy keeps its log open in append mode: after the truncation its next write lands at the new end, offset 0
        try (OutputStream caddy = Files.newOutputStream(live, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                InProcessShipper shipper = InProcessShipper.start(shipping(live, "truncate.access"))) {
            shipper.awaitFollowing(live);
            caddy.write(text(before));
            caddy.flush();
            TopicRecords.values(kafka.bootstrapServers(), "truncate.access", before.size(), Duration.ofSeconds(30));
            // logrotate's copytruncate: copy the file, then truncate it in place; a busy Caddy refills it at once
            Files.copy(live, dir.resolve("copied.log.1"));
            try (FileChannel logrotate = FileChannel.open(live, StandardOpenOption.WRITE)) {
                logrotate.truncate(0);
                caddy.write(text(after));
                caddy.flush();
            }
            List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "truncate.access", before.size() + after.size(),
                    Duration.ofSeconds(30));
            assertThat(shipper.stop()).isZero();

            List<String> expected = new ArrayList<>(before);
            expected.addAll(after);
            assertThat(arrived).containsExactlyElementsOf(expected);
            assertThat(shipper.command().metrics().truncations()).isEqualTo(1);
            assertThat(shipper.command().metrics().lostBytes()).isZero();
        }
    }

    private static byte[] text(List<String> lines) {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
