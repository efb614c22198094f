package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    @Test
    void theInstancesAreKilledInTurnEveryTwoMinutes() {
        FaultSchedule schedule = FaultSchedule.plan(TEN_MINUTES, Duration.ofMinutes(2), 2, Duration.ofSeconds(20), Duration.ofSeconds(60));

        assertThat(schedule.faults()).filteredOn(FaultSchedule.InstanceKill.class::isInstance).containsExactly(
                new FaultSchedule.InstanceKill(Duration.ofMinutes(2), 0), new FaultSchedule.InstanceKill(Duration.ofMinutes(4), 1),
                new FaultSchedule.InstanceKill(Duration.ofMinutes(6), 0), new FaultSchedule.InstanceKill(Duration.ofMinutes(8), 1));
    }

    @Test
    void theBrokerRestartsAfterTheReceiverIsBackAndAwayFromEveryKill() {
        FaultSchedule schedule = FaultSchedule.plan(TEN_MINUTES, Duration.ofMinutes(2), 2, Duration.ofSeconds(20), Duration.ofSeconds(60));

        FaultSchedule.ReceiverOutage outage = only(schedule, FaultSchedule.ReceiverOutage.class);
        FaultSchedule.BrokerRestart restart = only(schedule, FaultSchedule.BrokerRestart.class);
        assertThat(outage.at()).isEqualTo(Duration.ofSeconds(150));
        assertThat(restart.at()).isGreaterThanOrEqualTo(outage.at().plus(outage.down()).plus(FaultSchedule.MARGIN));
        Duration restartEnd = restart.at().plus(restart.down());
        for (FaultSchedule.Fault kill : schedule.faults().stream().filter(FaultSchedule.InstanceKill.class::isInstance).toList()) {
            boolean clear = kill.at().compareTo(restart.at().minusSeconds(45)) <= 0 || kill.at().compareTo(restartEnd.plusSeconds(45)) >= 0;
            assertThat(clear).as("kill at %s against the broker down %s-%s", kill.at(), restart.at(), restartEnd).isTrue();
        }
        assertThat(restartEnd.plus(FaultSchedule.MARGIN)).isLessThanOrEqualTo(TEN_MINUTES);
    }

    @Test
    void aRunTooShortForItsFaultsIsRefused() {
        assertThatThrownBy(() -> FaultSchedule.plan(Duration.ofMinutes(1), Duration.ofMinutes(2), 2, Duration.ofSeconds(20),
                Duration.ofSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too short");
    }

    @Test
    void oneBrokerHasNoFaultsButTheSoaksOwn() {
        assertThat(FaultSchedule.plan(TEN_MINUTES, Duration.ofMinutes(2), 2, 1, Duration.ofSeconds(20), Duration.ofSeconds(60)))
                .isEqualTo(FaultSchedule.plan(TEN_MINUTES, Duration.ofMinutes(2), 2, Duration.ofSeconds(20), Duration.ofSeconds(60)));
    }

    /**
     * Ten minutes with kills at 2, 4, 6 and 8 min, the receiver away 02:30-03:30 and the broker restart at 04:50: the
     * rolling restart (90 s) fits only in the first two minutes, 15 s from the start and from the first kill; the two
     * kills go to the middles of the gaps left, 50 s from the instance kills on either side.
     */
    @Test
    void aClusterRestartsItsBrokersInTurnAndKillsTheAccessLeaderThenTheTransactionCoordinatorWhereTheRunIsQuietest() {
        FaultSchedule schedule = FaultSchedule.plan(TEN_MINUTES, Duration.ofMinutes(2), 2, 3, Duration.ofSeconds(20), Duration.ofSeconds(60));

        assertThat(only(schedule, FaultSchedule.RollingRestart.class)).isEqualTo(new FaultSchedule.RollingRestart(Duration.ofSeconds(15),
                Duration.ofSeconds(90)));
        assertThat(only(schedule, FaultSchedule.BrokerRestart.class).at()).isEqualTo(Duration.ofSeconds(290));
        assertThat(schedule.faults()).filteredOn(FaultSchedule.BrokerKill.class::isInstance).containsExactly(
                new FaultSchedule.BrokerKill(Duration.ofSeconds(410), Duration.ofSeconds(20), FaultSchedule.Target.ACCESS_LEADER),
                new FaultSchedule.BrokerKill(Duration.ofSeconds(530), Duration.ofSeconds(20), FaultSchedule.Target.TRANSACTION_COORDINATOR));
    }

    @Test
    void noTwoBrokerFaultsComeWithinAMarginOfEachOtherOrOfTheEnd() {
        for (int minutes : List.of(5, 10, 30)) {
            FaultSchedule schedule = FaultSchedule.plan(Duration.ofMinutes(minutes), Duration.ofMinutes(2), 2, 3, Duration.ofSeconds(20),
                    Duration.ofSeconds(60));
            List<FaultSchedule.Fault> brokers = schedule.faults().stream().filter(FaultSchedule.Fault::stopsABroker).toList();
            assertThat(brokers).as(minutes + " min").hasSize(4);
            for (int i = 1; i < brokers.size(); i++) {
                FaultSchedule.Fault before = brokers.get(i - 1);
                assertThat(before.at().plus(before.lasts()).plus(FaultSchedule.MARGIN)).as(minutes + " min: %s then %s", before, brokers.get(i))
                        .isLessThanOrEqualTo(brokers.get(i).at());
            }
            FaultSchedule.Fault last = brokers.get(brokers.size() - 1);
            assertThat(last.at().plus(last.lasts()).plus(FaultSchedule.MARGIN)).isLessThanOrEqualTo(Duration.ofMinutes(minutes));
        }
    }

    @Test
    void aRunTooShortForAClustersBrokerFaultsIsRefused() {
        assertThatThrownBy(() -> FaultSchedule.plan(Duration.ofMinutes(3), Duration.ofMinutes(2), 2, 3, Duration.ofSeconds(20),
                Duration.ofSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too short for a cluster's broker faults");
    }

    private static <F extends FaultSchedule.Fault> F only(FaultSchedule schedule, Class<F> type) {
        List<F> faults = schedule.faults().stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(faults).hasSize(1);
        return faults.get(0);
    }
}
