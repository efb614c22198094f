package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.LongSerializer;
import org.junit.jupiter.api.Test;

/** Whether the windows have closed, from the changelogs of the tasks' log times as Kafka Streams writes them. */
class WindowClosingTest {
    private static final long MINUTE = 60_000;
    private static final long T = 1_796_440_000_000L - Math.floorMod(1_796_440_000_000L, MINUTE);

    private final WindowClosing closing = new WindowClosing("caddy-lightstep", WindowSettings.DEFAULTS, 2);

    private boolean partial(int partition, long time) {
        return closing.take("caddy-lightstep-latency-stream-time-changelog", partition, key(PartialWindows.STREAM_TIME), value(time));
    }

    private boolean merge(int partition, long time) {
        return closing.take("caddy-lightstep-latency-merge-time-changelog", partition, key(WindowMerge.STREAM_TIME), value(time));
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(long time) {
        return new LongSerializer().serialize("changelog", time);
    }

    @Test
    void withNoTaskTimeYetNothingIsLeftToClose() {
        assertThat(closing.caughtUp()).isTrue();
    }

    @Test
    void everyMergingTaskMustHaveClosedTheWindowsTheLeastPartialTimeCloses() {
        partial(0, T + 10 * MINUTE);
        partial(1, T + 5 * MINUTE);
        merge(0, T + 5 * MINUTE);
        assertThat(closing.caughtUp()).as("a merging task not heard from").isFalse();

        merge(1, T + 4 * MINUTE);
        assertThat(closing.caughtUp()).as("one merging task a window behind").isFalse();

        // any time that closes the same windows will do
        assertThat(merge(1, T + 5 * MINUTE + 20_000)).isTrue();
        assertThat(closing.caughtUp()).isTrue();
    }

    @Test
    void aPartialTaskMovingOnOpensWhatItCloses() {
        partial(0, T + 5 * MINUTE);
        merge(0, T + 5 * MINUTE);
        merge(1, T + 5 * MINUTE);
        assertThat(closing.caughtUp()).isTrue();

        assertThat(partial(0, T + 7 * MINUTE)).isTrue();
        assertThat(closing.caughtUp()).isFalse();
        assertThat(partial(0, T + 7 * MINUTE)).as("the same time again").isFalse();
    }

    @Test
    void theMergingTasksSavedTimesOfTheirSourcesAndOtherTopicsAreNotTimes() {
        assertThat(closing.take("caddy-lightstep-latency-merge-time-changelog", 0, key("source-time 0_1"), value(T))).isFalse();
        assertThat(closing.take("caddy.spans", 0, key(PartialWindows.STREAM_TIME), value(T))).isFalse();
        assertThat(closing.caughtUp()).isTrue();
    }
}
