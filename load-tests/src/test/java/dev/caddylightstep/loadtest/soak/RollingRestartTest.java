package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RollingRestartTest {
    /** Brokers that record what is done to them, answer under-replicated counts from a script, and whose clock moves a second an answer. */
    private static final class ScriptedBrokers implements RollingRestart.Brokers {
        final List<String> calls = new ArrayList<>();
        final Deque<Integer> underReplicated;
        final AtomicLong nanos = new AtomicLong();

        ScriptedBrokers(List<Integer> underReplicated) {
            this.underReplicated = new ArrayDeque<>(underReplicated);
        }

        @Override
        public String name(int broker) {
            return "broker-" + (broker + 1);
        }

        @Override
        public void stop(int broker) {
            calls.add("stop " + name(broker));
        }

        @Override
        public void start(int broker) {
            calls.add("start " + name(broker));
        }

        @Override
        public int underReplicatedPartitions() {
            nanos.addAndGet(Duration.ofSeconds(1).toNanos());
            int under = underReplicated.isEmpty() ? 0 : underReplicated.poll();
            calls.add("under-replicated " + under);
            return under;
        }
    }

    @Test
    void eachBrokerIsStoppedOnlyOnceTheOneBeforeItHasCaughtUp() throws InterruptedException {
        // in sync at first; 4 partitions behind after broker-1's start, then 1, then none; broker-2's catch-up unknown
        // for a moment (-1); broker-3's immediate
        ScriptedBrokers brokers = new ScriptedBrokers(List.of(0, 4, 1, 0, -1, 0, 0));
        List<String> stopping = new ArrayList<>();

        List<RollingRestart.Restarted> restarted = new RollingRestart(brokers, Duration.ofMinutes(1), Duration.ZERO, brokers.nanos::get)
                .run(3, broker -> stopping.add(brokers.name(broker)));

        assertThat(brokers.calls).containsExactly("under-replicated 0",
                "stop broker-1", "start broker-1", "under-replicated 4", "under-replicated 1", "under-replicated 0",
                "stop broker-2", "start broker-2", "under-replicated -1", "under-replicated 0",
                "stop broker-3", "start broker-3", "under-replicated 0");
        assertThat(stopping).containsExactly("broker-1", "broker-2", "broker-3");
        assertThat(restarted).extracting(RollingRestart.Restarted::broker).containsExactly(0, 1, 2);
        RollingRestart.Restarted first = restarted.get(0);
        assertThat(Duration.ofNanos(first.inSyncNanos() - first.upNanos())).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aRestartThatNeverCatchesUpStopsNoFurtherBroker() {
        ScriptedBrokers brokers = new ScriptedBrokers(List.of(0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2));

        assertThatThrownBy(() -> new RollingRestart(brokers, Duration.ofSeconds(5), Duration.ZERO, brokers.nanos::get).run(3, broker -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("2 partitions still under-replicated 5 s after broker-1 started again");
        assertThat(brokers.calls).doesNotContain("stop broker-2");
    }

    @Test
    void aClusterOutOfSyncBeforeTheFirstStopIsNotRestarted() {
        ScriptedBrokers brokers = new ScriptedBrokers(List.of(1, 1, 1, 1, 1, 1, 1, 1));

        assertThatThrownBy(() -> new RollingRestart(brokers, Duration.ofSeconds(3), Duration.ZERO, brokers.nanos::get).run(3, broker -> { }))
                .hasMessageContaining("before the first stop");
        assertThat(brokers.calls).allMatch(call -> call.startsWith("under-replicated"));
    }
}
