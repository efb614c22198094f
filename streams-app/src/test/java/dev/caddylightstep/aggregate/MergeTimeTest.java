package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.PipelineHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The merging task's log time, which closes and purges windows, follows the slowest task that feeds it. Replaying hours
 * of backlog, one task may race an hour ahead of another: the windows the slower one is still filling must stay.
 * Partials and ticks are written here to the merge's input as two tasks of the first stage would write them.
 */
class MergeTimeTest {
    private static final String REPARTITION = "caddy-lightstep-latency-windows-repartition";
    private static final long WINDOW = 1_796_440_000_000L - Math.floorMod(1_796_440_000_000L, 60_000L);
    private static final long TWO_HOURS = Duration.ofHours(2).toMillis();

    private static LatencyWindow oneRequest() {
        return new LatencyWindow().add(new LatencyObservation("engineering", "/api/orders", 20_000_000, 200, 12, null, false,
                "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", List.of()), 4, 8);
    }

    private static TestRecord<String, LatencyWindow> partial(long windowStart, String task, long announced) {
        Headers headers = WindowMerge.partialHeaders(true, task, announced);
        return new TestRecord<>(new WindowKey("engineering", "/api/orders", windowStart).encode(), oneRequest(), headers,
                Instant.ofEpochMilli(windowStart + 1_000));
    }

    private static TestRecord<String, LatencyWindow> tick(String task, long time) {
        return new TestRecord<>(WindowMerge.TICK_KEY, new LatencyWindow(), WindowMerge.partialHeaders(true, task, time),
                Instant.ofEpochMilli(time == Long.MIN_VALUE ? WINDOW : time));
    }

    @Test
    void aTaskTwoHoursAheadDoesNotPurgeTheWindowsASlowerTaskIsStillFilling() {
        try (PipelineHarness p = PipelineHarness.start()) {
            TestInputTopic<String, LatencyWindow> merge = p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                    LatencyWindowSerde.create().serializer());
            // both tasks tick at their first flush; the slow one has read too few lines for a time of its own yet
            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", Long.MIN_VALUE));
            // the fast task replays two hours of backlog in one go, a partial per window
            for (long start = WINDOW; start <= WINDOW + TWO_HOURS; start += 60_000) {
                merge.pipeInput(partial(start, "0_0", Long.MIN_VALUE));
            }
            merge.pipeInput(tick("0_0", WINDOW + TWO_HOURS));
            // then the slow task's first partial, for the first window of all
            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_1", WINDOW + 60_000));

            assertThat(p.deadLetters()).as("no partial is late").isEmpty();
            assertThat(p.latestByGroup().get("engineering@" + WINDOW).getCount()).isEqualTo(2);
        }
    }

    @Test
    void aTaskWhoseTimeStandsStillHoldsTheWindowsOpenForHalfAMinuteAtMost() {
        // windows written once, as they close: what is written is what closed
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"))) {
            TestInputTopic<String, LatencyWindow> merge = p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                    LatencyWindowSerde.create().serializer());
            merge.pipeInput(tick("0_1", WINDOW));
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));
            assertThat(p.byGroupUpdates()).as("held open by the task at the window's start").isEmpty();

            // its partitions idle, that task ticks the same time again and again
            p.driver().advanceWallClockTime(Duration.ofSeconds(31));
            merge.pipeInput(tick("0_1", WINDOW));
            merge.pipeInput(tick("0_0", WINDOW + 300_000));

            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        }
    }

    @Test
    void aMergeClosesNoWindowUntilEveryTaskOfTheAccessTopicWasHeard() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                    LatencyWindowSerde.create().serializer());
            // the task that started first races through an hour of backlog before the other ticked at all
            for (long start = WINDOW; start <= WINDOW + TWO_HOURS / 2; start += 60_000) {
                merge.pipeInput(partial(start, "0_0", Long.MIN_VALUE));
            }
            merge.pipeInput(tick("0_0", WINDOW + TWO_HOURS / 2));
            assertThat(p.byGroupUpdates()).as("nothing closed on one task's time").isEmpty();

            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_1", WINDOW + 120_000));

            assertThat(p.deadLetters()).as("no partial is late").isEmpty();
            assertThat(p.latestByGroup().get("engineering@" + WINDOW).getCount()).isEqualTo(2);
        }
    }

    @Test
    void aTaskOfTheAccessTopicNeverHeardHoldsTheFirstWindowsHalfAMinuteAtMost() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                    LatencyWindowSerde.create().serializer());
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));
            p.driver().advanceWallClockTime(Duration.ofSeconds(31));
            merge.pipeInput(tick("0_0", WINDOW + 300_000));

            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        }
    }

    /**
     * A short log, all on one partition of three: the tasks of the other two tick with no time and hold the windows
     * half a minute, by when the task that read the log has stood still as long. The windows close at that task's time,
     * not at the partials' record time, which trails it by windows.
     */
    @Test
    void theWindowsOfAShortLogCloseAtTheTimeOfTheTaskThatReadItOnceEveryTaskStandsStill() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 3)) {
            TestInputTopic<String, LatencyWindow> merge = p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(),
                    LatencyWindowSerde.create().serializer());
            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_2", Long.MIN_VALUE));
            for (long start = WINDOW; start < WINDOW + 600_000; start += 60_000) {
                merge.pipeInput(partial(start, "0_0", Long.MIN_VALUE));
            }
            merge.pipeInput(tick("0_0", WINDOW + 600_000));
            assertThat(p.byGroupUpdates()).as("held for the tasks with no time yet").isEmpty();

            // the log was read: every task ticks the time it had
            p.driver().advanceWallClockTime(Duration.ofSeconds(31));
            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_2", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 600_000));

            // a window closes 30 s after its end: all but the last, which ends at the time
            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 9).mapToObj(i -> WINDOW + i * 60_000).toList());
        }
    }
}
