package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A restart resumes from the checkpoint: nothing lost after kill -9, and no more repeated than the stated bound. */
@ExtendWith(SharedBroker.class)
class ShipRestartTest {
    private static final int BOUND = 400;
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("kill.access", 1, (short) 1), new NewTopic("restart.dlq", 1, (short) 1),
                new NewTopic("clean.access", 1, (short) 1), new NewTopic("gzip.access", 1, (short) 1)));
    }

    @Test
    void killNineMidFileLosesNoLineAndRepeatsAtMostMaxPendingLinesPerKill() throws Exception {
        List<String> lines = NumberedLines.of(12_000, 100_000);
        Path live = dir.resolve("access.log");
        AtomicInteger written = new AtomicInteger();
        AtomicBoolean rotate = new AtomicBoolean();
        List<String> killedAt = new ArrayList<>();
        try (CaddyStyleLog log = new CaddyStyleLog(live)) {
            Thread caddy = new Thread(() -> {
                for (String line : lines) {
                    if (rotate.getAndSet(false)) {
                        log.rotate(0);
                    }
                    log.write(line);
                    if (written.incrementAndGet() % 20 == 0) {
                        pause(8);
                    }
                }
            }, "caddy-writes");
            caddy.start();

            Process first = startShipper(live, "kill-1");
            awaitTopicCount(1_500);
            killedAt.add(kill(first, written.get()));
            // while the shipper is down Caddy rolls the file and gzips it: the restart resumes inside the .gz
            rotate.set(true);
            pause(700);

            Process second = startShipper(live, "kill-2");
            awaitTopicCount(TopicRecords.endOffsets(kafka.bootstrapServers(), "kill.access") + 2_000);
            killedAt.add(kill(second, written.get()));
            pause(300);

            Process third = startShipper(live, "kill-3");
            caddy.join();
            // with duplicates, a count of records reaches the number of lines before the last lines arrive
            List<String> arrived = TopicRecords.valuesOnceDistinct(kafka.bootstrapServers(), "kill.access", lines.size(), Duration.ofSeconds(90));
            third.destroy();
            assertThat(third.waitFor(60, TimeUnit.SECONDS)).isTrue();

            Map<String, Integer> copies = new HashMap<>();
            arrived.forEach(line -> copies.merge(line, 1, Integer::sum));
            int duplicates = arrived.size() - copies.size();
            System.out.printf("kill -9 test: %d lines written, %d records, %d duplicates (bound %d per kill), killed at %s%n",
                    lines.size(), arrived.size(), duplicates, BOUND, killedAt);
            assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(lines);
            assertThat(duplicates).isLessThanOrEqualTo(2 * BOUND);
            assertThat(copies.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
        }
    }

    @Test
    void aCleanStopRepeatsNothing() throws Exception {
        List<String> lines = NumberedLines.of(1_000, 300_000);
        Path live = dir.resolve("clean.log");
        try (CaddyStyleLog log = new CaddyStyleLog(live)) {
            lines.subList(0, 600).forEach(log::write);
            try (InProcessShipper shipper = inProcess(live, "clean.access")) {
                TopicRecords.values(kafka.bootstrapServers(), "clean.access", 600, Duration.ofSeconds(30));
                assertThat(shipper.stop()).isZero();
            }
            lines.subList(600, 1_000).forEach(log::write);
            try (InProcessShipper shipper = inProcess(live, "clean.access")) {
                List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "clean.access", lines.size(), Duration.ofSeconds(30));
                assertThat(shipper.stop()).isZero();
                assertThat(arrived).containsExactlyElementsOf(lines);
            }
        }
    }

    @Test
    void aRestartResumesInsideTheGzipItsFileBecameMeanwhile() throws Exception {
        List<String> lines = NumberedLines.of(900, 400_000);
        Path live = dir.resolve("gzip.log");
        try (CaddyStyleLog log = new CaddyStyleLog(live)) {
            lines.subList(0, 300).forEach(log::write);
            try (InProcessShipper shipper = inProcess(live, "gzip.access")) {
                TopicRecords.values(kafka.bootstrapServers(), "gzip.access", 300, Duration.ofSeconds(30));
                assertThat(shipper.stop()).isZero();
            }
            lines.subList(300, 600).forEach(log::write);
            Path rotated = log.rotate(0);
            lines.subList(600, 900).forEach(log::write);
            assertThat(rotated).doesNotExist();
            assertThat(rotated.resolveSibling(rotated.getFileName() + ".gz")).exists();
            try (InProcessShipper shipper = inProcess(live, "gzip.access")) {
                List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "gzip.access", lines.size(), Duration.ofSeconds(30));
                assertThat(shipper.stop()).isZero();
                assertThat(arrived).containsExactlyElementsOf(lines);
            }
        }
    }

    private InProcessShipper inProcess(Path live, String topic) {
        return InProcessShipper.start("--file", live.toString(), "--from-beginning", "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", topic, "--set", "caddy.topic.access-dlq=restart.dlq", "--progress-interval", "0");
    }

    private Process startShipper(Path live, String name) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ShipperProcess.class.getName(),
                "--file", live.toString(), "--from-beginning", "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", "kill.access", "--set", "caddy.topic.access-dlq=restart.dlq",
                "--max-pending-lines", Integer.toString(BOUND), "--progress-interval", "1");
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".out").toFile())).start();
    }

    /** SIGKILL, no shutdown hook runs; returns "records in the topic/lines written" at that moment. */
    private String kill(Process shipper, int writtenNow) throws Exception {
        long records = TopicRecords.endOffsets(kafka.bootstrapServers(), "kill.access");
        shipper.destroyForcibly();
        assertThat(shipper.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(shipper.exitValue()).isEqualTo(137);
        // mid-file: Caddy had written lines the shipper had not delivered yet
        assertThat(records).isLessThan(writtenNow);
        return records + "/" + writtenNow;
    }

    private void awaitTopicCount(long count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (TopicRecords.endOffsets(kafka.bootstrapServers(), "kill.access") < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + count + " records after 60 s; shipper output: " + outputs());
            }
            Thread.sleep(50);
        }
    }

    private String outputs() throws IOException {
        StringBuilder out = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".out")).toList()) {
                out.append(file.getFileName()).append(":\n").append(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
