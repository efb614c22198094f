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

    private static <F extends FaultSchedule.Fault> F only(FaultSchedule schedule, Class<F> type) {
        List<F> faults = schedule.faults().stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(faults).hasSize(1);
        return faults.get(0);
    }
}
