package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.testing.kafka.SharedBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Bad input ends the command with exit code 1 and one line that says what and where, no stack trace. */
@ExtendWith(SharedBroker.class)
class ShipCommandTest {
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("command.access", 1, (short) 1), new NewTopic("command.dlq", 1, (short) 1)));
    }

    @Test
    void aMissingLogFileIsNamed() throws Exception {
        Path missing = dir.resolve("nope/access.log");
        InProcessShipper.Result result = InProcessShipper.run("--file", missing.toString(), "--bootstrap-servers", kafka.bootstrapServers());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ship: --file " + missing + " does not exist" + System.lineSeparator());
    }

    @Test
    void exactlyOneSourceIsRequired() throws Exception {
        Path log = Files.writeString(dir.resolve("access.log"), "");
        InProcessShipper.Result both = InProcessShipper.run("--file", log.toString(), "--listen", "127.0.0.1:0");
        InProcessShipper.Result neither = InProcessShipper.run("--bootstrap-servers", kafka.bootstrapServers());

        assertThat(both.exitCode()).isEqualTo(1);
        assertThat(both.stderr()).isEqualTo("ship: give exactly one of --file PATH or --listen HOST:PORT" + System.lineSeparator());
        assertThat(neither.stderr()).isEqualTo(both.stderr());
    }

    @Test
    void anUnwritableCheckpointIsNamed() throws Exception {
        Path log = Files.writeString(dir.resolve("access.log"), "");
        // a path under a regular file cannot be created, even by root (who ignores permission bits)
        Path blocker = Files.writeString(dir.resolve("not-a-directory"), "");
        Path checkpoint = blocker.resolve("checkpoint");
        InProcessShipper.Result result = InProcessShipper.run("--file", log.toString(), "--checkpoint", checkpoint.toString(),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "command.access", "--set", "caddy.topic.access-dlq=command.dlq");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ship: cannot write checkpoint " + checkpoint + ": Not a directory" + System.lineSeparator());
    }

    @Test
    void anUnreachableBrokerIsNamed() throws Exception {
        Path log = Files.writeString(dir.resolve("access.log"), "");
        String nobody = "127.0.0.1:" + closedPort();
        InProcessShipper.Result result = InProcessShipper.run("--file", log.toString(), "--bootstrap-servers", nobody,
                "--set", "default.api.timeout.ms=2000");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ship: cannot reach Kafka at " + nobody + " (no answer within 2000 ms)" + System.lineSeparator());
    }

    @Test
    void aMissingTopicIsNamed() throws Exception {
        Path log = Files.writeString(dir.resolve("access.log"), "");
        InProcessShipper.Result result = InProcessShipper.run("--file", log.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", "no.such.topic", "--set", "caddy.topic.access-dlq=command.dlq");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ship: topic no.such.topic does not exist at " + kafka.bootstrapServers() + ": create it first"
                + System.lineSeparator());
    }

    @Test
    void aCheckpointOfAnotherLogIsRefused() throws Exception {
        Path first = Files.writeString(dir.resolve("first.log"), "");
        Path second = Files.writeString(dir.resolve("second.log"), "");
        Path checkpoint = dir.resolve("shared-checkpoint");
        try (InProcessShipper shipper = InProcessShipper.start("--file", first.toString(), "--checkpoint", checkpoint.toString(),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "command.access", "--set", "caddy.topic.access-dlq=command.dlq",
                "--progress-interval", "0")) {
            awaitFile(checkpoint);
            InProcessShipper.Result locked = InProcessShipper.run("--file", first.toString(), "--checkpoint", checkpoint.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "command.access", "--set", "caddy.topic.access-dlq=command.dlq");
            assertThat(locked.exitCode()).isEqualTo(1);
            assertThat(locked.stderr()).startsWith("ship: another ship process is using checkpoint " + checkpoint);
            assertThat(shipper.stop()).isZero();
        }
        InProcessShipper.Result other = InProcessShipper.run("--file", second.toString(), "--checkpoint", checkpoint.toString(),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "command.access", "--set", "caddy.topic.access-dlq=command.dlq");

        assertThat(other.exitCode()).isEqualTo(1);
        assertThat(other.stderr()).isEqualTo("ship: checkpoint " + checkpoint + " belongs to " + first + ", not to --file " + second
                + ": pass another --checkpoint" + System.lineSeparator());
    }

    @Test
    void theProgressLineReportsLinesAndPosition() throws Exception {
        Path log = dir.resolve("progress.log");
        List<String> lines = NumberedLines.of(50, 1_000);
        Files.writeString(log, String.join("\n", lines) + "\n");
        long size = Files.size(log);
        try (InProcessShipper shipper = InProcessShipper.start("--file", log.toString(), "--from-beginning",
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "command.access", "--set", "caddy.topic.access-dlq=command.dlq",
                "--progress-interval", "1")) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            String expected = "position=" + log + ":" + size + " lag_bytes=0 dead_letters=0";
            while (!shipper.stderr().contains(expected) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(shipper.stop()).isZero();
            assertThat(shipper.stderr()).containsPattern("ship: lines=50 bytes=" + (size - 50) + " lines/s=\\d+ " + java.util.regex.Pattern.quote(expected));
        }
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static int closedPort() {
        return LoopbackPorts.free(1).get(0);
    }
}
