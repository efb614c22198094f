package dev.caddylightstep.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZapFloatsTest {

    @Test
    void timestampsOfTheCaptureAreWrittenBackDigitForDigit() {
        // ts values of /work/shared/caddy-capture/logs (access.log, bulk.log): 7, 6, 5 and 4 decimals
        String[] captured = {
            "1795566966.1665242", "1795566998.1327262", "1795566970.146755", "1795567000.482663",
            "1795567000.48069", "1795567000.57039", "1795567000.5226", "1795567001.2624"};
        for (String ts : captured) {
            LineBuffer out = new LineBuffer(32);
            ZapFloats.appendShortest(out, Double.parseDouble(ts));
            assertThat(text(out)).isEqualTo(ts);
        }
    }

    @Test
    void epochSecondsAreTheShortestDecimalThatReadsBackAsTheSameDouble() {
        SplittableRandom random = new SplittableRandom(42);
        long from = 1_700_000_000_000_000_000L;
        for (int i = 0; i < 20_000; i++) {
            long nanos = from + random.nextLong(400_000_000_000_000_000L);
            double seconds = (double) nanos / 1e9;
            LineBuffer out = new LineBuffer(32);
            ZapFloats.appendEpochSeconds(out, nanos);
            assertThat(text(out)).as("%d ns", nanos).isEqualTo(shortestBySearch(seconds));
        }
    }

    @Test
    void aWholeSecondHasNoDecimalPoint() {
        LineBuffer out = new LineBuffer(32);
        ZapFloats.appendEpochSeconds(out, 1_795_564_800_000_000_000L);
        assertThat(text(out)).isEqualTo("1795564800");
    }

    @Test
    void durationsAreNanosecondsWithoutTrailingZeros() {
        // each pair: nanoseconds, and the duration as the capture shows such a value
        assertThat(seconds(37_721)).isEqualTo("0.000037721");
        assertThat(seconds(1_124_539_635)).isEqualTo("1.124539635");
        assertThat(seconds(824_500)).isEqualTo("0.0008245");
        assertThat(seconds(47_441_000)).isEqualTo("0.047441");
        assertThat(seconds(2_000_000_000)).isEqualTo("2");
        assertThat(seconds(-123_000)).isEqualTo("-0.000123");
    }

    @Test
    void durationsReadBackAsTheDoubleZapComputes() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            long nanos = 1 + random.nextLong(120_000_000_000L);
            String text = seconds(nanos);
            assertThat(Double.parseDouble(text)).as(text).isEqualTo((double) nanos / 1e9);
            assertThat(text).as("Go's shortest form").isEqualTo(shortestBySearch((double) nanos / 1e9));
        }
    }

    /** Go's 'f', -1: the fewest decimals that read back as the same double, found by trying them all. */
    private static String shortestBySearch(double value) {
        for (int decimals = 0; decimals <= 17; decimals++) {
            BigDecimal candidate = new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN);
            if (Double.parseDouble(candidate.toPlainString()) == value) {
                return candidate.toPlainString();
            }
        }
        throw new AssertionError(value);
    }

    private static String seconds(long nanos) {
        LineBuffer out = new LineBuffer(32);
        ZapFloats.appendSeconds(out, nanos);
        return text(out);
    }

    private static String text(LineBuffer out) {
        return new String(out.toByteArray(), StandardCharsets.US_ASCII);
    }
}
