package dev.caddylightstep.topology;

import dev.caddylightstep.broker.EmbeddedKafka;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The broker contract on Apache Kafka in a container; skipped, not failed, where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class PipelineOnTestcontainersKafkaTest extends PipelineOnBrokerContract {
    @Container
    // as the in-process broker: no deletion by record time, since the capture's times grow older than the topics' retention
    private static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1")
            .withEnv("KAFKA_LOG_INITIAL_TASK_DELAY_MS", Long.toString(EmbeddedKafka.LOG_MAINTENANCE_DELAY.toMillis()))
            .withEnv("KAFKA_LOG_CLEANER_BACKOFF_MS", Long.toString(EmbeddedKafka.LOG_MAINTENANCE_DELAY.toMillis()));

    @Override
    String bootstrapServers() {
        return KAFKA.getBootstrapServers();
    }
}
