package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Caddy's times and durations read from their text, and numbers no time can be refused before they are built. */
class LogTimesTest {
    @Test
    void secondsMillisecondsAndNanosecondsAreToldApartByMagnitude() {
        assertThat(LogTimes.epochNanosFromNumber("1795566966.1665242")).isEqualTo(1_795_566_966_166_524_200L);
        assertThat(LogTimes.epochNanosFromNumber("1795566966166")).isEqualTo(1_795_566_966_166_000_000L);
        assertThat(LogTimes.epochNanosFromNumber("1795566966166524200")).isEqualTo(1_795_566_966_166_524_200L);
    }

    @Test
    void anExponentWithinRangeIsReadExactly() {
        assertThat(LogTimes.epochNanosFromNumber("1.7955669661665242e9")).isEqualTo(1_795_566_966_166_524_200L);
        assertThat(LogTimes.epochNanosFromNumber("17955669661665242E-7")).isEqualTo(1_795_566_966_166_524_200L);
        assertThat(LogTimes.durationNanosFromNumber("3.7721e-5", false, LogFormat.DurationFormat.AUTO)).isEqualTo(37_721L);
    }

    /** {@code 1e999999999} is 11 characters; expanded, it is a billion digits, and a message quoting them a gigabyte. */
    @Test
    void anElevenCharacterNumberIsRefusedWithoutExpandingIt() {
        assertThatThrownBy(() -> LogTimes.epochNanosFromNumber("1e999999999"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200).contains("exponent"));
        assertThatThrownBy(() -> LogTimes.durationNanosFromNumber("1E999999999", false, LogFormat.DurationFormat.AUTO))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
        assertThatThrownBy(() -> LogTimes.epochNanosFromNumber("1e-999999999"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
    }

    @Test
    void moreDigitsThanAnyTimeAreRefusedWithAShortMessage() {
        String digits = "1".repeat(10_000);
        assertThatThrownBy(() -> LogTimes.epochNanosFromNumber(digits))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
        assertThatThrownBy(() -> LogTimes.epochNanosFromNumber("0." + digits))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
    }

    @Test
    void aTimeOrDurationStringLongerThanCaddyWritesIsRefused() {
        assertThatThrownBy(() -> LogTimes.epochNanosFromString("2026-11-25T00:36:06." + "1".repeat(100_000) + "Z"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
        assertThatThrownBy(() -> LogTimes.durationNanosFromGoString("1s".repeat(100_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
    }
}
