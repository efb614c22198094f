package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CommitWatchTest {
    private static final long SECOND = 1_000_000_000L;

    private static final long HALF = SECOND / 2;

    @Test
    void theStallIsTheLongestWaitOfAPartitionForItsNextCommit() {
        // reads every half second; partition 0 went on committing, partition 1, the killed instance's, waited 46 s
        Map<TopicPartition, List<CommitWatch.Advance>> advances = Map.of(
                new TopicPartition("caddy.access", 0), List.of(moved(99 * SECOND), moved(100 * SECOND + HALF), moved(101 * SECOND)),
                new TopicPartition("caddy.access", 1), List.of(moved(99 * SECOND), moved(146 * SECOND)));

        CommitWatch.Stall stall = CommitWatch.stall(advances, 100 * SECOND, 200 * SECOND);

        assertThat(stall.length()).isEqualTo(Duration.ofSeconds(46));
        assertThat(stall.partition()).isEqualTo("caddy.access-1");
        assertThat(stall.resumed()).isTrue();
    }

    @Test
    void aMoveSeenJustAfterTheFaultMayBeACommitFromBeforeItAndDoesNotEndTheStall() {
        // the fault at 100.2 s; the read at 100.5 s sees a commit made at any time since the read at 100.0 s
        Map<TopicPartition, List<CommitWatch.Advance>> advances = Map.of(
                new TopicPartition("caddy.spans", 0), List.of(moved(100 * SECOND + HALF), moved(145 * SECOND)));

        CommitWatch.Stall stall = CommitWatch.stall(advances, 100 * SECOND + SECOND / 5, 200 * SECOND);

        assertThat(stall.length()).isEqualTo(Duration.ofMillis(44_800));
    }

    @Test
    void aPartitionThatNeverCommittedAgainStallsUntilNow() {
        Map<TopicPartition, List<CommitWatch.Advance>> advances = Map.of(new TopicPartition("caddy.spans", 2), List.of(moved(10 * SECOND)));

        CommitWatch.Stall stall = CommitWatch.stall(advances, 30 * SECOND, 330 * SECOND);

        assertThat(stall.length()).isEqualTo(Duration.ofMinutes(5));
        assertThat(stall.resumed()).isFalse();
    }

    /** A move seen by the read at {@code atNanos}, half a second after the read before it. */
    private static CommitWatch.Advance moved(long atNanos) {
        return new CommitWatch.Advance(atNanos - HALF, atNanos);
    }
}
