package dev.caddylightstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentSecretsTest {
    private static final EnvironmentSecrets SECRETS = EnvironmentSecrets.of(Map.of(
            "LS_ACCESS_TOKEN", "ls+token/value=",
            "OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=header%2Fvalue,other=second-value",
            "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"app\" password=\"sasl-password\";",
            "CADDY_CLIENT_ADDRESS_HASH_KEY", "hash-key-value",
            "KAFKA_BOOTSTRAP_SERVERS", "kafka:9093",
            "KAFKA_SSL_KEYSTORE_LOCATION", "/etc/kafka/keystore.p12"));

    @Test
    void secretValuesAreHiddenAsGivenAndUrlEncodedOrDecoded() {
        assertThat(SECRETS.hide("a ls+token/value= b ls%2Btoken%2Fvalue%3D c")).isEqualTo("a (hidden) b (hidden) c");
        assertThat(SECRETS.hide("headers header%2Fvalue, header/value and second-value")).isEqualTo("headers (hidden), (hidden) and (hidden)");
        assertThat(SECRETS.hide("login with sasl-password failed")).isEqualTo("login with (hidden) failed");
        assertThat(SECRETS.hide("key hash-key-value")).isEqualTo("key (hidden)");
    }

    @Test
    void whatIsNoSecretStaysReadable() {
        assertThat(SECRETS.hide("Kafka at kafka:9093: cannot read /etc/kafka/keystore.p12"))
                .isEqualTo("Kafka at kafka:9093: cannot read /etc/kafka/keystore.p12");
    }
}
