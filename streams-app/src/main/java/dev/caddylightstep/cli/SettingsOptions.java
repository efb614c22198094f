package dev.caddylightstep.cli;

import dev.caddylightstep.config.Settings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command that talks to Kafka shares: a properties file (Kafka client properties and
 * caddy.* settings), the bootstrap servers, and single settings.
 */
public final class SettingsOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file: Kafka client properties (TLS, SASL, ...) and caddy.* settings.")
    Path config;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (or bootstrap.servers in the file, or KAFKA_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "One setting, as in the properties file; wins over the file and the environment.")
    Map<String, String> settings = new LinkedHashMap<>();

    /** The settings from the file, the environment and these options. */
    public Settings load() {
        Map<String, String> overrides = new LinkedHashMap<>(settings);
        if (bootstrapServers != null) {
            overrides.put("bootstrap.servers", bootstrapServers);
        }
        return Settings.load(config, System.getenv(), overrides);
    }
}
