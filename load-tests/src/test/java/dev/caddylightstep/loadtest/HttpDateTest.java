package dev.caddylightstep.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HttpDateTest {
    private static final DateTimeFormatter GO_HTTP_TIME_FORMAT =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    @Test
    void writesTheDayWithTwoDigitsAsGoDoes() {
        long nanos = Instant.parse("2026-11-05T07:08:09.5Z").toEpochMilli() * 1_000_000;

        assertThat(new String(new HttpDate().at(nanos), StandardCharsets.US_ASCII)).isEqualTo("Thu, 05 Nov 2026 07:08:09 GMT");
    }

    @Test
    void agreesWithJavaTimeOverManyYears() {
        HttpDate dates = new HttpDate();
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 5_000; i++) {
            long second = 946_684_800L + random.nextLong(1_000_000_000L);
            String expected = GO_HTTP_TIME_FORMAT.format(Instant.ofEpochSecond(second));
            assertThat(new String(dates.at(second * 1_000_000_000L + 999_999_999L), StandardCharsets.US_ASCII)).isEqualTo(expected);
        }
    }
}
