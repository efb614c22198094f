package dev.caddylightstep.loadtest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class DrainWindowTest {
    private static final long BACKLOG = 200_000;

    /** A reading at {@code seconds} after the start, with {@code cpuSeconds} of process CPU by then. */
    private static DrainWindow.Reading at(double seconds, double drained, double cpuSeconds) {
        return new DrainWindow.Reading(drained, new Clocks((long) (seconds * 1e9), (long) (cpuSeconds * 1e9), 0), null);
    }

    /** Feeds the readings in order, taking those the window wants, as {@link DrainWindow#sample} does. */
    private static DrainWindow fed(List<DrainWindow.Reading> readings) {
        DrainWindow window = new DrainWindow();
        for (DrainWindow.Reading reading : readings) {
            if (window.wants(reading.drained())) {
                window.take(reading);
            }
        }
        return window;
    }

    @Test
    void theRateIsTheShareReadBetweenTheFirstReadingsPastATenthAndNineTenthsOverTheTimeBetweenThem() {
        // 7% more of the backlog consumed every 0.5 s, after 2 s of start-up; the last of it 2 s after the rest
        List<DrainWindow.Reading> readings = new ArrayList<>();
        for (int commit = 1; commit <= 14; commit++) {
            readings.add(at(2 + commit * 0.5, commit * 0.07, commit));
        }
        readings.add(at(11, 1.0, 20));

        DrainWindow window = fed(readings);

        // opens at 0.14 (reading 2, 3 s), closes at 0.91 (reading 13, 8.5 s): 0.77 of 200,000 lines in 5.5 s, not 0.80 of them
        assertThat(window.isClosed()).isTrue();
        assertThat(window.drained()).isCloseTo(0.77, Offset.offset(1e-9));
        assertThat(window.seconds()).isCloseTo(5.5, Offset.offset(1e-9));
        assertThat(window.linesPerSecond(BACKLOG)).isCloseTo(28_000.0, Offset.offset(1e-6));
        assertThat(window.cpuSeconds()).isCloseTo(11.0, Offset.offset(1e-9));
    }

    @Test
    void theStartAndTheLastCommitDoNotMoveTheRate() {
        // the same steady 12% a second, once after a slow start and a slow end, once after neither
        List<DrainWindow.Reading> slowEnds = List.of(at(0, 0.01, 0), at(5, 0.02, 0), at(6, 0.14, 0), at(7, 0.26, 0), at(8, 0.38, 0),
                at(9, 0.50, 0), at(10, 0.62, 0), at(11, 0.74, 0), at(12, 0.86, 0), at(13, 0.98, 0), at(20, 1.0, 0));
        List<DrainWindow.Reading> quickEnds = List.of(at(0, 0.02, 0), at(1, 0.14, 0), at(2, 0.26, 0), at(3, 0.38, 0), at(4, 0.50, 0),
                at(5, 0.62, 0), at(6, 0.74, 0), at(7, 0.86, 0), at(8, 0.98, 0), at(8.2, 1.0, 0));

        assertThat(fed(slowEnds).linesPerSecond(BACKLOG)).isCloseTo(24_000.0, Offset.offset(1e-6));
        assertThat(fed(quickEnds).linesPerSecond(BACKLOG)).isCloseTo(24_000.0, Offset.offset(1e-6));
    }

    @Test
    void aReadingPastBothBoundsOpensTheWindowAndTheNextThatDrainedMoreClosesIt() {
        DrainWindow window = fed(List.of(at(1, 0.05, 0), at(2, 0.95, 0), at(2.1, 0.95, 0), at(3, 1.0, 0)));

        assertThat(window.drained()).isCloseTo(0.05, Offset.offset(1e-9));
        assertThat(window.seconds()).isCloseTo(1.0, Offset.offset(1e-9));
    }

    @Test
    void aBacklogConsumedAllAtOnceLeavesTheWindowOpen() {
        DrainWindow window = fed(List.of(at(1, 1.0, 0)));

        assertThat(window.isClosed()).isFalse();
    }

    @Test
    void samplingReadsTheShareUntilTheWindowClosesAndTakesTheShareAsRead() {
        double[] shares = {0.0, 0.05, 0.3, 0.6, 0.93, 1.0};
        int[] read = {0};
        DrainWindow window = new DrainWindow();

        window.sample(() -> shares[Math.min(read[0]++, shares.length - 1)]);

        assertThat(window.isClosed()).isTrue();
        assertThat(read[0]).isEqualTo(5);
        assertThat(window.drained()).isCloseTo(0.63, Offset.offset(1e-9));
    }
}
