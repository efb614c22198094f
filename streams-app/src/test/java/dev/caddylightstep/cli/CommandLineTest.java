package dev.caddylightstep.cli;

import dev.caddylightstep.testing.CommandRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to any command: one clear line naming what and where, an exit code other than 0, no stack trace. */
class CommandLineTest {
    @TempDir
    Path dir;

    @Test
    void aMissingCaddyLogIsNamed() {
        Path missing = dir.resolve("access.log");
        CommandRun.of("demo", "--caddy-log", missing.toString(), "--until-idle").isAOneLineError("--caddy-log", missing.toString(), "does not exist");
    }

    @Test
    void aMissingIdentitiesFileIsNamed() {
        CommandRun.of("demo", "--identities", dir.resolve("nope.yaml").toString()).isAOneLineError("--identities", "nope.yaml");
    }

    @Test
    void unreadableYamlIsNamedWithItsFile() throws IOException {
        Path file = Files.writeString(dir.resolve("identities.yaml"), "- id: alice\n  group: [engineering\n");
        CommandRun.of("load", "identities", file.toString(), "--bootstrap-servers", "127.0.0.1:9").isAOneLineError(file.toString(), "not valid YAML");
    }

    @Test
    void anUnknownOptionIsNamed() {
        CommandRun.of("demo", "--caddy-lgo", "x").isAOneLineError("Unknown options: '--caddy-lgo'", "demo --help");
    }

    @Test
    void anUnknownCommandIsNamed() {
        CommandRun.of("serve").isAOneLineError("serve");
    }

    @Test
    void anUnreachableBrokerIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n");
        CommandRun.of("load", "identities", file.toString(), "--bootstrap-servers", "127.0.0.1:9", "--set", "default.api.timeout.ms=2000")
                .isAOneLineError("Kafka at 127.0.0.1:9");
    }

    @Test
    void aBadSettingIsNamedWithItsKey() {
        CommandRun.of("topics", "create", "--bootstrap-servers", "127.0.0.1:9", "--set", "caddy.topics.partitions=many")
                .isAOneLineError("caddy.topics.partitions", "'many'");
    }

    @Test
    void aMisspelledSettingIsNamed() {
        CommandRun.of("run", "--set", "caddy.widow.size=5m").isAOneLineError("unknown setting caddy.widow.size", "did you mean caddy.window.size?");
    }

    @Test
    void theForwarderRoleWithoutABackendIsRefused() {
        CommandRun.of("run", "--role", "forwarder", "--bootstrap-servers", "127.0.0.1:9").isAOneLineError("--role forwarder needs a backend");
    }

    @Test
    void atLeastOnceIsRefusedAtStartSayingWhy() {
        CommandRun.of("run", "--bootstrap-servers", "127.0.0.1:9", "--set", "default.api.timeout.ms=2000", "--set", "processing.guarantee=at_least_once")
                .isAOneLineError("processing.guarantee=at_least_once is refused", "count requests twice", "caddy.allow-at-least-once=true");
    }
}
