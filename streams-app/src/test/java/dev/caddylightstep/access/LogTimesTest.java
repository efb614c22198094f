package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.ToLongFunction;
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

    @Test
    void aGoDurationStringIsReadWithItsFractionInEachUnit() {
        assertThat(LogTimes.durationNanosFromGoString("1.5ms")).isEqualTo(1_500_000L);
        assertThat(LogTimes.durationNanosFromGoString("2m3.5s")).isEqualTo(123_500_000_000L);
        assertThat(LogTimes.durationNanosFromGoString("350µs")).isEqualTo(350_000L);
        assertThat(LogTimes.durationNanosFromGoString("1.000000001s")).isEqualTo(1_000_000_001L);
        assertThat(LogTimes.durationNanosFromGoString("7.s")).isEqualTo(7_000_000_000L);
        assertThatThrownBy(() -> LogTimes.durationNanosFromGoString("1.2.3s")).isInstanceOf(IllegalArgumentException.class);
    }

    /** The parser hands LogTimes a number where it lies in the line's bytes: read there, it is what its String is. */
    @Test
    void aNumberReadInPlaceInALinesBytesIsWhatItsStringIs() {
        List<String> numbers = List.of("1795566966.1665242", "1795566966166", "1795566966166524200", "1.7955669661665242e9",
                "17955669661665242E-7", "0.000123456", "3.7721e-5", "12", "0", "-1.5", "1.2.3", "1e999999999", "99999999999999999999",
                "1".repeat(70), ".", "", "-", "1795566966.16652429999");
        for (String number : numbers) {
            byte[] line = ("{\"ts\":" + number + ",\"x\":1}").getBytes(StandardCharsets.US_ASCII);
            NumberText inPlace = new NumberText().at(line, 6, 6 + number.length());
            assertThat(outcome(LogTimes::epochNanosFromNumber, inPlace)).as(number).isEqualTo(outcome(LogTimes::epochNanosFromNumber, number));
            for (LogFormat.DurationFormat format : LogFormat.DurationFormat.values()) {
                ToLongFunction<CharSequence> duration = text -> LogTimes.durationNanosFromNumber(text, !number.contains("."), format);
                assertThat(outcome(duration, inPlace)).as(number + " " + format).isEqualTo(outcome(duration, number));
            }
        }
    }

    /** The nanoseconds read, or the refusal and its message. */
    private static String outcome(ToLongFunction<CharSequence> read, CharSequence text) {
        try {
            return Long.toString(read.applyAsLong(text));
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
