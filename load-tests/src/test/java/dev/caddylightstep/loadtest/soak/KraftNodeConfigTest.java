package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import kafka.server.KafkaConfig;
import org.junit.jupiter.api.Test;

class KraftNodeConfigTest {
    private static final KraftNodeConfig BROKER = new KraftNodeConfig(KraftNodeConfig.Role.BROKER, 2, "q1Sh-9_ISia_zwGINzRvyQ", 19092, 0, 19093,
            Path.of("/tmp/broker-2"));
    private static final KraftNodeConfig CONTROLLER = new KraftNodeConfig(KraftNodeConfig.Role.CONTROLLER, 0, "q1Sh-9_ISia_zwGINzRvyQ", 19093, 0,
            19093, Path.of("/tmp/controller"));

    /** Read back through Kafka's own parser: a misspelt key would be ignored without a word, and the default of 1 kept. */
    @Test
    void aBrokerReplicatesItsCoordinatorsTopicsThreeTimesAndAcknowledgesWithTwo() {
        KafkaConfig config = KafkaConfig.fromProps(BROKER.properties(), false);

        assertThat(config.getInt("min.insync.replicas")).isEqualTo(2);
        assertThat(config.getShort("offsets.topic.replication.factor")).isEqualTo((short) 3);
        assertThat(config.getShort("transaction.state.log.replication.factor")).isEqualTo((short) 3);
        assertThat(config.getInt("transaction.state.log.min.isr")).isEqualTo(2);
        assertThat(config.getBoolean("unclean.leader.election.enable")).isFalse();
    }

    @Test
    void theControllerIsTheQuorumsOnlyVoterAndGivesANewTopicThreeReplicas() {
        KafkaConfig config = KafkaConfig.fromProps(CONTROLLER.properties(), false);

        assertThat(config.getList("process.roles")).containsExactly("controller");
        assertThat(config.getList("controller.quorum.voters")).containsExactly("0@127.0.0.1:19093");
        assertThat(config.getInt("default.replication.factor")).isEqualTo(3);
    }

    @Test
    void aNodeIsStartedFromTheArgumentsItWasGiven() {
        assertThat(KraftNodeConfig.parse(BROKER.arguments())).isEqualTo(BROKER);
        assertThat(KraftNodeConfig.parse(CONTROLLER.arguments())).isEqualTo(CONTROLLER);
    }
}
