package dev.caddylightstep.topology;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The broker contract on Apache Kafka in a container; skipped, not failed, where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class PipelineOnTestcontainersKafkaTest extends PipelineOnBrokerContract {
    @Container
    private static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1");

    @Override
    String bootstrapServers() {
        return KAFKA.getBootstrapServers();
    }
}
