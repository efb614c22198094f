package dev.caddylightstep.loadtest;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The {@code Date} response header as Go's {@code http.TimeFormat} writes it ("Wed, 05 Nov 2026 00:36:07 GMT",
 * day always two digits, unlike Java's RFC 1123 formatter), computed once per second of log time.
 */
final class HttpDate {
    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private long cachedSecond = Long.MIN_VALUE;
    private byte[] cached;

    /** The header value for the second that holds {@code epochNanos}, as JSON string content. */
    byte[] at(long epochNanos) {
        long second = Math.floorDiv(epochNanos, 1_000_000_000L);
        if (second != cachedSecond) {
            cached = format(second);
            cachedSecond = second;
        }
        return cached;
    }

    private static byte[] format(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        StringBuilder s = new StringBuilder(29)
                .append(DAYS[t.getDayOfWeek().ordinal()]).append(", ");
        twoDigits(s, t.getDayOfMonth()).append(' ').append(MONTHS[t.getMonthValue() - 1]).append(' ').append(t.getYear()).append(' ');
        twoDigits(s, t.getHour()).append(':');
        twoDigits(s, t.getMinute()).append(':');
        twoDigits(s, t.getSecond()).append(" GMT");
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static StringBuilder twoDigits(StringBuilder s, int value) {
        return s.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }
}
