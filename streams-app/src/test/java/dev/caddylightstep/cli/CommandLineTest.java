package dev.caddylightstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to any command: one clear line naming what and where, an exit code other than 0, no stack trace. */
class CommandLineTest {
    @TempDir
    Path dir;

    /** What one command line printed and returned. */
    record Outcome(int exitCode, String out, String err) {
        void isAOneLineError(String... fragments) {
            assertThat(exitCode).isNotZero();
            assertThat(err.strip().lines()).hasSize(1);
            assertThat(err).startsWith("error: ").contains(fragments).doesNotContain("Exception", "\tat ");
        }
    }

    private static Outcome run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Outcome(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void aMissingCaddyLogIsNamed() {
        Path missing = dir.resolve("access.log");
        run("demo", "--caddy-log", missing.toString(), "--until-idle").isAOneLineError("--caddy-log", missing.toString(), "does not exist");
    }

    @Test
    void aMissingIdentitiesFileIsNamed() {
        run("demo", "--identities", dir.resolve("nope.yaml").toString()).isAOneLineError("--identities", "nope.yaml");
    }

    @Test
    void unreadableYamlIsNamedWithItsFile() throws IOException {
        Path file = Files.writeString(dir.resolve("identities.yaml"), "- id: alice\n  group: [engineering\n");
        run("load", "identities", file.toString(), "--bootstrap-servers", "127.0.0.1:9").isAOneLineError(file.toString(), "not valid YAML");
    }

    @Test
    void anUnknownOptionIsNamed() {
        run("demo", "--caddy-lgo", "x").isAOneLineError("Unknown options: '--caddy-lgo'", "demo --help");
    }

    @Test
    void anUnknownCommandIsNamed() {
        run("serve").isAOneLineError("serve");
    }

    @Test
    void anUnreachableBrokerIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n");
        run("load", "identities", file.toString(), "--bootstrap-servers", "127.0.0.1:9", "--set", "default.api.timeout.ms=2000")
                .isAOneLineError("Kafka at 127.0.0.1:9");
    }

    @Test
    void aBadSettingIsNamedWithItsKey() {
        run("topics", "create", "--bootstrap-servers", "127.0.0.1:9", "--set", "caddy.topics.partitions=many")
                .isAOneLineError("caddy.topics.partitions", "'many'");
    }

    @Test
    void aMisspelledSettingIsNamed() {
        run("run", "--set", "caddy.widow.size=5m").isAOneLineError("unknown setting caddy.widow.size", "did you mean caddy.window.size?");
    }

    @Test
    void theForwarderRoleWithoutABackendIsRefused() {
        run("run", "--role", "forwarder", "--bootstrap-servers", "127.0.0.1:9").isAOneLineError("--role forwarder needs a backend");
    }

    @Test
    void atLeastOnceIsRefusedAtStartSayingWhy() {
        run("run", "--bootstrap-servers", "127.0.0.1:9", "--set", "default.api.timeout.ms=2000", "--set", "processing.guarantee=at_least_once")
                .isAOneLineError("processing.guarantee=at_least_once is refused", "count requests twice", "caddy.allow-at-least-once=true");
    }
}
