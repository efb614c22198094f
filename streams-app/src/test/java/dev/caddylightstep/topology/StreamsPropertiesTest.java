package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.testing.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StreamsPropertiesTest {
    private static final String DEFAULTS_HEADING = "Kafka Streams gets these defaults from the application";
    private static final Pattern KEY_VALUE = Pattern.compile("`([a-z.]+)=([^`]+)`");

    @Test
    void theDefaultsTheReadmeGivesAreTheOnesTheApplicationSets() throws IOException {
        Map<String, String> documented = readmeDefaults();
        Properties applied = StreamsProperties.of(PipelineConfig.from(Settings.of(Map.of("bootstrap.servers", "localhost:9092"))));

        assertThat(documented).containsKeys("processing.guarantee", "commit.interval.ms", "producer.compression.type");
        documented.forEach((key, value) -> assertThat(String.valueOf(applied.get(key))).as(key).isEqualTo(value));
    }

    @Test
    void aConfiguredKeyOverridesTheApplicationsDefault() {
        Properties applied = StreamsProperties.of(PipelineConfig.from(Settings.of(Map.of(
                "bootstrap.servers", "localhost:9092", "commit.interval.ms", "100", "producer.compression.type", "zstd"))));

        assertThat(applied.get("commit.interval.ms")).hasToString("100");
        assertThat(applied.get("producer.compression.type")).hasToString("zstd");
    }

    /** The `key=value` items of the README's list of Kafka Streams defaults, up to the blank line that ends it. */
    private static Map<String, String> readmeDefaults() throws IOException {
        String readme = Files.readString(Repository.root().resolve("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf(DEFAULTS_HEADING);
        assertThat(start).as("README.md says: " + DEFAULTS_HEADING).isNotNegative();
        int end = readme.indexOf("\n\n", start);
        Matcher m = KEY_VALUE.matcher(readme.substring(start, end));
        Map<String, String> defaults = new LinkedHashMap<>();
        while (m.find()) {
            defaults.put(m.group(1), m.group(2));
        }
        return defaults;
    }
}
