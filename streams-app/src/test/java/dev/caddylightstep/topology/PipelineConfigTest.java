package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.topics.TopicNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typed configuration, read by each package from the settings: its defaults, and the messages of what it refuses. */
class PipelineConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreExactlyOnceWithTheDocumentedTopics() {
        PipelineConfig config = PipelineConfig.from(Settings.of(Map.of()));
        assertThat(config.kafka()).containsEntry("processing.guarantee", "exactly_once_v2").containsEntry("application.id", "caddy-lightstep");
        assertThat(config.topics()).isEqualTo(TopicNames.DEFAULTS);
        assertThat(config.windows()).isEqualTo(WindowSettings.DEFAULTS);
        assertThat(config.resource().attributes()).containsEntry("service.name", "caddy");
    }

    @Test
    void kafkaPropertiesPassThroughUntouched() throws IOException {
        Path file = Files.writeString(dir.resolve("app.properties"), """
                bootstrap.servers=kafka:9093
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                ssl.truststore.location=/etc/kafka/truststore.p12
                caddy.window.size=5m
                """);
        PipelineConfig config = PipelineConfig.from(Settings.load(file, Map.of(), Map.of()));
        assertThat(config.kafka()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12");
        assertThat(config.windows().size()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theEnvironmentOverridesTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("app.properties"), "bootstrap.servers=a:9092\ncaddy.window.size=5m\n");
        Settings settings = Settings.load(file, Map.of("KAFKA_BOOTSTRAP_SERVERS", "b:9092", "CADDY_WINDOW_SIZE", "2m",
                "KAFKA_HEAP_OPTS", "-Xmx1g"), Map.of());
        PipelineConfig config = PipelineConfig.from(settings);
        assertThat(config.kafka()).containsEntry("bootstrap.servers", "b:9092").doesNotContainKey("heap.opts");
        assertThat(config.windows().size()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void anInvalidValueIsNamedWithItsKeyAndWhatIsAllowed() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.window.emit", "sometimes"))))
                .hasMessage("caddy.window.emit (CADDY_WINDOW_EMIT): 'sometimes' is not one of updates, final");
    }

    @Test
    void aBadDurationIsNamed() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.window.size", "sixty"))))
                .hasMessageStartingWith("caddy.window.size (CADDY_WINDOW_SIZE): 'sixty' is not a duration");
    }

    @Test
    void aMisspelledKeyIsRefusedWithASuggestion() {
        assertThatThrownBy(() -> Settings.of(Map.of("caddy.window.sise", "5m")))
                .hasMessage("unknown setting caddy.window.sise on the command line (did you mean caddy.window.size?)");
    }

    @Test
    void aHeaderIdentityNeedsAHeaderName() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.identity.source", "header"))))
                .hasMessageContaining("caddy.identity.header");
        assertThat(PipelineConfig.from(Settings.of(Map.of("caddy.identity.source", "header", "caddy.identity.header", "X-User")))
                .identitySource()).isEqualTo(new IdentitySource(IdentitySource.Kind.HEADER, "X-User"));
    }

    @Test
    void aHashKeyIsNeverShownInAnError() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.client-address", "hash", "caddy.client-address.hash-key", "short"))))
                .hasMessageContaining("at least 16 bytes").hasMessageNotContaining("short");
    }

    @Test
    void aRedactedHeaderCannotBeCapturedForSpans() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.span.capture-request-headers", "Accept,authorization"))))
                .hasMessageContaining("caddy.span.capture-request-headers").hasMessageContaining("authorization is redacted");
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.redact.headers", "X-Api-Key",
                "caddy.span.capture-request-headers", "X-Api-Key"))))
                .hasMessageContaining("X-Api-Key is redacted");
    }

    @Test
    void twoRolesCannotShareATopic() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.topic.spans", "caddy.access"))))
                .hasMessageContaining("both name topic caddy.access");
    }

    @Test
    void serviceNameAndResourceAttributesComeFromOpenTelemetrysVariables() {
        Settings settings = Settings.load(null, Map.of("OTEL_SERVICE_NAME", "edge", "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=prod,service.name=ignored,team=platform%20edge"), Map.of());
        assertThat(PipelineConfig.from(settings).resource().attributes())
                .containsEntry("service.name", "edge").containsEntry("deployment.environment", "prod").containsEntry("team", "platform edge");
    }

    @Test
    void atLeastOnceIsRefusedBecauseWindowsWouldCountTwice() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.load(null, Map.of("KAFKA_PROCESSING_GUARANTEE", "at_least_once"), Map.of())))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("processing.guarantee=at_least_once is refused")
                .hasMessageContaining("count requests twice").hasMessageContaining("caddy.allow-at-least-once=true");
    }

    @Test
    void atLeastOnceStartsWhenExplicitlyAllowed() {
        PipelineConfig config = PipelineConfig.from(Settings.load(null, Map.of("CADDY_ALLOW_AT_LEAST_ONCE", "true"),
                Map.of("processing.guarantee", "at_least_once")));
        assertThat(config.kafka()).containsEntry("processing.guarantee", "at_least_once");
    }

    @Test
    void allowingAtLeastOnceTakesOnlyTrueOrFalse() {
        assertThatThrownBy(() -> PipelineConfig.from(Settings.of(Map.of("caddy.allow-at-least-once", "yes"))))
                .hasMessage("caddy.allow-at-least-once (CADDY_ALLOW_AT_LEAST_ONCE): 'yes' is not true or false");
    }
}
