package dev.caddylightstep.topology;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The broker contract on a real Apache Kafka broker (KRaft) in this JVM, the one the test classes share. */
@ExtendWith(SharedBroker.class)
class PipelineOnInProcessBrokerTest extends PipelineOnBrokerContract {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void useSharedBroker(EmbeddedKafka shared) {
        kafka = shared;
    }

    @Override
    String bootstrapServers() {
        return kafka.bootstrapServers();
    }
}
