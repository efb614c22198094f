package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CommitWatchTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theStallIsTheLongestWaitOfAPartitionForItsNextCommit() {
        // partition 0 went on committing every half second; partition 1, the killed instance's, waited 46 s
        Map<TopicPartition, List<Long>> advances = Map.of(
                new TopicPartition("caddy.access", 0), List.of(99 * SECOND, 100 * SECOND + SECOND / 2, 101 * SECOND),
                new TopicPartition("caddy.access", 1), List.of(99 * SECOND, 146 * SECOND));

        CommitWatch.Stall stall = CommitWatch.stall(advances, 100 * SECOND, 200 * SECOND);

        assertThat(stall.length()).isEqualTo(Duration.ofSeconds(46));
        assertThat(stall.partition()).isEqualTo("caddy.access-1");
        assertThat(stall.resumed()).isTrue();
    }

    @Test
    void aPartitionThatNeverCommittedAgainStallsUntilNow() {
        Map<TopicPartition, List<Long>> advances = Map.of(new TopicPartition("caddy.spans", 2), List.of(10 * SECOND));

        CommitWatch.Stall stall = CommitWatch.stall(advances, 30 * SECOND, 330 * SECOND);

        assertThat(stall.length()).isEqualTo(Duration.ofMinutes(5));
        assertThat(stall.resumed()).isFalse();
    }
}
