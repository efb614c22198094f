package dev.caddylightstep.topology;

import dev.caddylightstep.broker.EmbeddedKafka;
import java.util.Locale;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The broker contract on Apache Kafka in a container; skipped, not failed, where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class PipelineOnTestcontainersKafkaTest extends PipelineOnBrokerContract {
    @Container
    // as the in-process broker: no deletion by record time, since the capture's times grow older than the topics' retention
    private static final KafkaContainer KAFKA = withDeferredLogMaintenance(new KafkaContainer("apache/kafka:4.1.1"));

    /** The image reads a broker setting from KAFKA_ and its name in capitals, dots as underscores. */
    private static KafkaContainer withDeferredLogMaintenance(KafkaContainer container) {
        EmbeddedKafka.DEFERRED_LOG_MAINTENANCE.forEach((name, value) ->
                container.withEnv("KAFKA_" + name.toUpperCase(Locale.ROOT).replace('.', '_'), value));
        return container;
    }

    @Override
    String bootstrapServers() {
        return KAFKA.getBootstrapServers();
    }
}
