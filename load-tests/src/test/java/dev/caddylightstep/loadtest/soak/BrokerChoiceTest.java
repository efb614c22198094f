package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class BrokerChoiceTest {
    @Test
    void theLeaderOfMostPartitionsIsKilled() {
        Map<Integer, Integer> leaders = Map.of(0, 2, 1, 3, 2, 2, 3, 1, 4, 2, 5, 3);

        assertThat(BrokerChoice.leaderOfMost("caddy.access", leaders))
                .contains(new BrokerChoice(2, "leader of 3 of 6 partitions of caddy.access"));
    }

    @Test
    void amongLeadersOfAsManyPartitionsTheLowestNodeIdIsKilled() {
        Map<Integer, Integer> balanced = Map.of(0, 3, 1, 2, 2, 1, 3, 3, 4, 2, 5, 1);

        assertThat(BrokerChoice.leaderOfMost("caddy.access", balanced)).map(BrokerChoice::nodeId).contains(1);
    }

    @Test
    void aPartitionWithoutALeaderCountsForNoBroker() {
        Map<Integer, Integer> leaders = Map.of(0, -1, 1, -1, 2, 3);

        assertThat(BrokerChoice.leaderOfMost("caddy.access", leaders)).map(BrokerChoice::nodeId).contains(3);
        assertThat(BrokerChoice.leaderOfMost("caddy.access", Map.of(0, -1))).isEmpty();
    }

    @Test
    void theCoordinatorOfMostOfTheApplicationsTransactionsIsKilled() {
        Map<String, Integer> coordinators = Map.of("caddy-lightstep-a-1", 3, "caddy-lightstep-b-1", 3, "caddy-lightstep-c-1", 1);

        assertThat(BrokerChoice.transactionCoordinator(coordinators, OptionalInt.of(1))).contains(new BrokerChoice(3,
                "coordinator of 2 of 3 open transactions of the application; group coordinator broker-1"));
    }

    @Test
    void amongCoordinatorsOfAsManyTransactionsTheGroupCoordinatorIsKilled() {
        Map<String, Integer> coordinators = Map.of("caddy-lightstep-a-1", 1, "caddy-lightstep-b-1", 2);

        assertThat(BrokerChoice.transactionCoordinator(coordinators, OptionalInt.of(2))).map(BrokerChoice::nodeId).contains(2);
        assertThat(BrokerChoice.transactionCoordinator(coordinators, OptionalInt.of(3))).map(BrokerChoice::nodeId).contains(1);
    }

    @Test
    void withNoOpenTransactionSeenTheGroupCoordinatorIsKilled() {
        assertThat(BrokerChoice.transactionCoordinator(Map.of(), OptionalInt.of(2)))
                .contains(new BrokerChoice(2, "no open transaction seen; group coordinator broker-2"));
        assertThat(BrokerChoice.transactionCoordinator(Map.of(), OptionalInt.empty())).isEmpty();
    }
}
