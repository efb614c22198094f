package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.caddylightstep.testing.CapturedLog;
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

    private static TestInputTopic<String, LatencyWindow> mergeInput(PipelineHarness p) {
        return p.driver().createInputTopic(REPARTITION, Serdes.String().serializer(), LatencyWindowSerde.create().serializer());
    }

    /** A task that replays ten minutes of backlog in one go, a partial for each of the eleven windows from WINDOW on. */
    private static void tenMinutesOfBacklog(TestInputTopic<String, LatencyWindow> merge, String task) {
        for (long start = WINDOW; start <= WINDOW + 600_000; start += 60_000) {
            merge.pipeInput(partial(start, task, Long.MIN_VALUE));
        }
    }

    /** Only the first window closed, once, and it holds the partial of each of the two tasks: none came late. */
    private static void assertFirstWindowClosedWithBothTasksPartials(PipelineHarness p) {
        assertThat(p.deadLetters()).as("no partial is late").isEmpty();
        assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        assertThat(p.latestByGroup().get("engineering@" + WINDOW).getCount()).isEqualTo(2);
    }

    /** Seconds of wall clock passing, each running task ticking its time every second, as a task does at each commit. */
    @SafeVarargs
    private static void secondsPass(PipelineHarness p, TestInputTopic<String, LatencyWindow> merge, long seconds,
                                    TestRecord<String, LatencyWindow>... ticks) {
        for (long second = 0; second < seconds; second++) {
            p.driver().advanceWallClockTime(Duration.ofSeconds(1));
            for (TestRecord<String, LatencyWindow> tick : ticks) {
                merge.pipeInput(tick);
            }
        }
    }

    @Test
    void aTaskTwoHoursAheadDoesNotPurgeTheWindowsASlowerTaskIsStillFilling() {
        try (PipelineHarness p = PipelineHarness.start()) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
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
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", WINDOW));
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));
            assertThat(p.byGroupUpdates()).as("held open by the task at the window's start").isEmpty();

            // its partitions idle, that task ticks the same time again and again
            secondsPass(p, merge, 31, tick("0_1", WINDOW), tick("0_0", WINDOW + 240_000));
            merge.pipeInput(tick("0_0", WINDOW + 300_000));

            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        }
    }

    /**
     * With commit.interval.ms at a minute (and the transaction timeout above it, as Kafka Streams requires), a task ticks
     * once a minute: between two of its ticks it neither stood still nor went silent.
     */
    @Test
    void aTaskThatCommitsOnceAMinuteHoldsTheWindowsBetweenItsTicks() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final", "commit.interval.ms", "60000",
                "producer.transaction.timeout.ms", "120000"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", WINDOW + 60_000));
            tenMinutesOfBacklog(merge, "0_0");
            merge.pipeInput(tick("0_0", WINDOW + 600_000));

            p.driver().advanceWallClockTime(Duration.ofMinutes(1));
            merge.pipeInput(tick("0_0", WINDOW + 660_000));
            assertThat(p.byGroupUpdates()).as("held for the task that ticks next").isEmpty();

            merge.pipeInput(partial(WINDOW, "0_1", WINDOW + 60_000));
            merge.pipeInput(tick("0_1", WINDOW + 120_000));
            assertFirstWindowClosedWithBothTasksPartials(p);
        }
    }

    @Test
    void aMergeClosesNoWindowUntilEveryTaskOfTheAccessTopicWasHeard() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
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

    /** Not running anywhere: its instance is starting, or died before its first commit and the group has not moved it yet. */
    @Test
    void aTaskOfTheAccessTopicNeverHeardHoldsTheFirstWindowsForATakeoverAtMost() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));
            secondsPass(p, merge, WindowMerge.TAKEOVER_MS / 1_000 - 1, tick("0_0", WINDOW + 240_000));
            assertThat(p.byGroupUpdates()).as("held for the task not heard yet").isEmpty();

            secondsPass(p, merge, 2, tick("0_0", WINDOW + 300_000));
            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        }
    }

    /**
     * The merging task started, then its thread did not read its input for a minute (restoring other tasks after a
     * rebalance): the first records it reads are those of the task that ran ahead, and the other's come after them. A
     * minute it did not read is not a minute the other task was silent.
     */
    @Test
    void aMergeThatReadNothingForAMinuteWaitsForEveryTaskAsIfItHadJustStarted() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            p.driver().advanceWallClockTime(Duration.ofMinutes(1));
            tenMinutesOfBacklog(merge, "0_0");
            merge.pipeInput(tick("0_0", WINDOW + 600_000));
            assertThat(p.byGroupUpdates()).as("nothing closed on one task's time").isEmpty();

            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_1", WINDOW + 120_000));

            assertFirstWindowClosedWithBothTasksPartials(p);
        }
    }

    /**
     * Both tasks read a backlog; the instance running 0_1 dies. With Kafka's default session timeout (45 s) the group
     * gives 0_1 to another instance some time after the tasks that stand still stop holding the windows (30 s), while
     * 0_0 has read to the end of its partitions. The windows 0_1 has not sent yet stay open until it runs again,
     * restored to an earlier time than it had told, and catches up: none is decided without its requests.
     */
    @Test
    void aTaskWhoseInstanceDiedHoldsTheWindowsUntilAnotherInstanceRunsIt() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2);
             CapturedLog log = new CapturedLog(WindowMerge.class)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_1", WINDOW + 60_000));
            tenMinutesOfBacklog(merge, "0_0");
            merge.pipeInput(tick("0_0", WINDOW + 600_000));

            // 0_1 is silent; 0_0 has nothing more to read and ticks the same time every second
            secondsPass(p, merge, 50, tick("0_0", WINDOW + 600_000));
            assertThat(p.byGroupUpdates()).as("held for the task between instances").isEmpty();
            assertThat(log.lines(Level.INFO)).singleElement().asString()
                    .contains("holds its windows at " + Instant.ofEpochMilli(WINDOW + 60_000) + " for task 0_1, silent for 3")
                    .contains("session.timeout.ms");

            // its new owner restored it to its last commit, a window before what it had told
            merge.pipeInput(tick("0_1", WINDOW));
            merge.pipeInput(partial(WINDOW + 60_000, "0_1", WINDOW));
            merge.pipeInput(tick("0_1", WINDOW + 120_000));
            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
            merge.pipeInput(tick("0_1", WINDOW + 600_000));

            assertThat(p.deadLetters()).as("no partial is late").isEmpty();
            assertThat(p.byGroupUpdates()).as("each window written once, as it closed").extracting(w -> w.getWindowStartMs())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 9).mapToObj(i -> WINDOW + i * 60_000).toList());
            assertThat(p.latestByGroup().get("engineering@" + (WINDOW + 60_000)).getCount()).isEqualTo(2);
            assertThat(log.lines(Level.INFO)).last().asString().endsWith("task 0_1 runs again");
            assertThat(log.lines(Level.WARN)).isEmpty();
        }
    }

    /** Its instance died a few seconds after it started, before the task had read the lines its clock needs. */
    @Test
    void aTaskWithNoTimeYetWhoseInstanceDiedHoldsTheWindowsUntilAnotherInstanceRunsIt() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            tenMinutesOfBacklog(merge, "0_0");
            secondsPass(p, merge, 3, tick("0_1", Long.MIN_VALUE), tick("0_0", WINDOW + 600_000));
            secondsPass(p, merge, 28, tick("0_0", WINDOW + 600_000));
            assertThat(p.byGroupUpdates()).as("held for the task between instances").isEmpty();

            secondsPass(p, merge, 20, tick("0_0", WINDOW + 600_000));
            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_1", WINDOW + 120_000));

            assertFirstWindowClosedWithBothTasksPartials(p);
        }
    }

    @Test
    void aTaskNoInstanceRunsHoldsTheWindowsForATakeoverAtMost() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2);
             CapturedLog log = new CapturedLog(WindowMerge.class)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", WINDOW + 60_000));
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));

            secondsPass(p, merge, WindowMerge.TAKEOVER_MS / 1_000 - 1, tick("0_0", WINDOW + 240_000));
            assertThat(p.byGroupUpdates()).as("held for the task between instances").isEmpty();

            secondsPass(p, merge, 2, tick("0_0", WINDOW + 240_000));
            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
            assertThat(log.lines(Level.WARN)).singleElement().asString()
                    .contains("closes its windows without task 0_1, silent for 301 s").contains("dead-lettered as late");
        }
    }

    @Test
    void aTaskWhosePartitionsWereIdleWhenItsInstanceDiedHoldsBackNoOne() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", WINDOW));
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 240_000));
            secondsPass(p, merge, 31, tick("0_1", WINDOW), tick("0_0", WINDOW + 240_000));
            // then its instance dies
            secondsPass(p, merge, 31, tick("0_0", WINDOW + 240_000));
            merge.pipeInput(tick("0_0", WINDOW + 300_000));

            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs()).containsExactly(WINDOW);
        }
    }

    /**
     * A task that read its last lines for the first window, and another that read on a moment later to a half hour past
     * it (the first has too few lines of that half hour for its clock to move): once both stand still, the first window
     * closes at the second's time, whenever their ticks come. Here they come a second apart, and none in the 0.3 s
     * between the first task's hold ending and the second's: whether the window closes must not hang on one landing there.
     */
    @Test
    void onceEveryTaskStandsStillTheWindowsCloseAtTheLatestTimeWhateverMomentTheTicksCome() {
        try (PipelineHarness p = PipelineHarness.start(java.util.Map.of("caddy.window.emit", "final"), 2)) {
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(partial(WINDOW, "0_1", Long.MIN_VALUE));
            merge.pipeInput(partial(WINDOW, "0_0", Long.MIN_VALUE));
            merge.pipeInput(tick("0_0", WINDOW + 1_000));
            merge.pipeInput(tick("0_1", WINDOW + 1_000));
            p.driver().advanceWallClockTime(Duration.ofMillis(300));
            merge.pipeInput(tick("0_0", WINDOW + 1_800_000));
            p.driver().advanceWallClockTime(Duration.ofMillis(700));

            secondsPass(p, merge, 32, tick("0_1", WINDOW + 1_000), tick("0_0", WINDOW + 1_800_000));

            assertFirstWindowClosedWithBothTasksPartials(p);
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
            TestInputTopic<String, LatencyWindow> merge = mergeInput(p);
            merge.pipeInput(tick("0_1", Long.MIN_VALUE));
            merge.pipeInput(tick("0_2", Long.MIN_VALUE));
            for (long start = WINDOW; start < WINDOW + 600_000; start += 60_000) {
                merge.pipeInput(partial(start, "0_0", Long.MIN_VALUE));
            }
            merge.pipeInput(tick("0_0", WINDOW + 600_000));
            assertThat(p.byGroupUpdates()).as("held for the tasks with no time yet").isEmpty();

            // the log was read: every task ticks the time it had
            secondsPass(p, merge, 31, tick("0_1", Long.MIN_VALUE), tick("0_2", Long.MIN_VALUE), tick("0_0", WINDOW + 600_000));

            // a window closes 30 s after its end: all but the last, which ends at the time
            assertThat(p.byGroupUpdates()).extracting(w -> w.getWindowStartMs())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 9).mapToObj(i -> WINDOW + i * 60_000).toList());
        }
    }
}
