package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint's disk fills up while the shipper runs: it stops with a clear error instead of shipping on
 * without a checkpoint, and once there is room again a restart ships every line. Needs a tiny tmpfs, so it
 * runs where the test may mount one (root on Linux) and is skipped elsewhere.
 */
@ExtendWith(SharedBroker.class)
class ShipDiskFullTest {
    @TempDir
    Path dir;

    private static boolean mount(Path at) throws IOException, InterruptedException {
        Files.createDirectories(at);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", at.toString())
                .redirectErrorStream(true).start();
        return mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
    }

    private static void unmount(Path at) throws IOException, InterruptedException {
        new ProcessBuilder("umount", at.toString()).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    }

    /** Writes until the file system refuses: ENOSPC, as a full disk answers. */
    private static Path fill(Path fs) throws IOException {
        Path filler = fs.resolve("filler");
        byte[] block = new byte[1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            return filler;
        }
    }

    @Test
    void aFullCheckpointDiskStopsTheShipperClearlyAndARestartLosesNothing(EmbeddedKafka kafka) throws Exception {
        Path fs = dir.resolve("small-disk");
        assumeTrue(mount(fs), "cannot mount a tmpfs here (needs root on Linux)");
        try {
            kafka.createTopics(List.of(new NewTopic("full.access", 1, (short) 1), new NewTopic("full.dlq", 1, (short) 1)));
            List<String> lines = CaddyCapture.lines("access.log");
            Path log = Files.createFile(dir.resolve("access.log"));
            Path checkpoint = fs.resolve("access.checkpoint");
            String[] args = {"--file", log.toString(), "--from-beginning", "--checkpoint", checkpoint.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "full.access", "--set", "caddy.topic.access-dlq=full.dlq",
                    "--progress-interval", "0"};

            Path filler;
            try (InProcessShipper shipper = InProcessShipper.start(args)) {
                append(log, lines.subList(0, 100));
                assertThat(TopicRecords.readAtLeast(kafka.bootstrapServers(), "full.access", 100, Duration.ofSeconds(30)))
                        .as("lines shipped before the disk fills; the shipper said: %s", shipper.stderr()).hasSize(100);
                filler = fill(fs);
                append(log, lines.subList(100, lines.size()));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!shipper.exited() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(shipper.exited()).as("the shipper stops when it cannot checkpoint").isTrue();
                assertThat(shipper.stderr()).startsWith("ship: cannot write checkpoint " + checkpoint).contains("No space left on device");
            }

            Files.delete(filler);
            try (InProcessShipper restarted = InProcessShipper.start(args)) {
                List<String> values = TopicRecords.valuesOnceDistinct(kafka.bootstrapServers(), "full.access", lines.size(), Duration.ofSeconds(30));
                assertThat(values).containsAll(lines);
                assertThat(values.size() - lines.size()).as("lines shipped twice").isLessThanOrEqualTo(10_000);
            }
        } finally {
            unmount(fs);
        }
    }

    private static void append(Path log, List<String> lines) throws IOException {
        Files.writeString(log, String.join("\n", lines) + "\n", StandardOpenOption.APPEND);
    }
}
