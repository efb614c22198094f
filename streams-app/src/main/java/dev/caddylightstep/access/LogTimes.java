package dev.caddylightstep.access;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/**
 * Reads Caddy's {@code ts} and {@code duration} in every encoding its {@code time_format} and
 * {@code duration_format} options produce. Numbers are read from their text, not through a double, so that
 * a nanosecond timestamp keeps its nanoseconds. The parser and the shipper (for the record timestamp) both read
 * times here. Throws IllegalArgumentException for what is not a time.
 */
public final class LogTimes {
    // unix seconds are about 1.8e9 today, milliseconds 1.8e12, nanoseconds 1.8e18: the magnitudes never meet
    private static final long MILLIS_THRESHOLD = 100_000_000_000L;
    private static final long NANOS_THRESHOLD = 100_000_000_000_000_000L;
    /** Longer than any RFC 3339 time (35 characters with nanoseconds) or Go duration string Caddy writes. */
    private static final int MAX_TEXT_CHARS = 64;

    /** rfc3339, rfc3339_nano and iso8601 (zap writes that one's offset without a colon: +0000). */
    private static final DateTimeFormatter RFC3339_FAMILY = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .appendPattern("HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendPattern("[XXX][XX]")
            .toFormatter();

    private LogTimes() {
    }

    /**
     * Epoch nanoseconds from a JSON number's text: seconds, milliseconds or nanoseconds by magnitude. The text may be a
     * view of the line's bytes ({@link LineTokens#numberText}): it is read here and not kept.
     */
    public static long epochNanosFromNumber(CharSequence text) {
        Decimal d = Decimal.parse(text);
        if (d.negative) {
            throw new IllegalArgumentException("negative timestamp " + text);
        }
        if (d.integer >= NANOS_THRESHOLD) {
            return d.integer;
        }
        if (d.integer >= MILLIS_THRESHOLD) {
            return Math.addExact(Math.multiplyExact(d.integer, 1_000_000L), d.fractionMicros());
        }
        return Math.addExact(Math.multiplyExact(d.integer, 1_000_000_000L), d.fractionNanos);
    }

    /** Epoch nanoseconds from an RFC 3339 / ISO 8601 timestamp string. */
    public static long epochNanosFromString(String text) {
        if (text.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("timestamp '" + abbreviate(text) + "' is longer than any time Caddy writes");
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(text, RFC3339_FAMILY);
            return Math.addExact(Math.multiplyExact(t.toEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("timestamp '" + abbreviate(text) + "' is not RFC 3339, ISO 8601 or a unix time");
        }
    }

    /** Nanoseconds from a JSON number's text, in the unit the format says; the text is read here and not kept. */
    static long durationNanosFromNumber(CharSequence text, boolean integerToken, LogFormat.DurationFormat format) {
        Decimal d = Decimal.parse(text);
        if (d.negative) {
            throw new IllegalArgumentException("negative duration " + text);
        }
        return switch (format) {
            case NANO -> d.integer;
            case MS -> Math.addExact(Math.multiplyExact(d.integer, 1_000_000L), d.fractionMicros());
            case SECONDS, STRING -> seconds(d);
            case AUTO -> integerToken ? d.integer : seconds(d);
        };
    }

    private static long seconds(Decimal d) {
        return Math.addExact(Math.multiplyExact(d.integer, 1_000_000_000L), d.fractionNanos);
    }

    /** Nanoseconds from a Go duration string such as "1.5ms", "2m3.5s" or "350µs". */
    static long durationNanosFromGoString(String text) {
        if (text.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("duration '" + abbreviate(text) + "' is longer than any duration Caddy writes");
        }
        String s = text;
        if (s.equals("0")) {
            return 0;
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("negative duration " + abbreviate(text));
        }
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        long total = 0;
        int i = 0;
        while (i < s.length()) {
            int numberStart = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            if (numberStart == unitStart || unitStart == i) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a Go duration");
            }
            long unitNanos = switch (s.substring(unitStart, i)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> throw new IllegalArgumentException("'" + abbreviate(text) + "' has an unknown duration unit");
            };
            String number = s.substring(numberStart, unitStart);
            Decimal d = Decimal.parse(number);
            // Decimal.parse has checked it: digits with at most one point, its fraction what follows the point
            int point = number.indexOf('.');
            long fraction = point < 0 || point == number.length() - 1 ? 0
                    : Math.round(Double.parseDouble("0." + number.substring(point + 1)) * unitNanos);
            total = Math.addExact(total, Math.addExact(Math.multiplyExact(d.integer, unitNanos), fraction));
        }
        return total;
    }

    static String abbreviate(CharSequence s) {
        return s.length() <= 64 ? s.toString() : s.subSequence(0, 64) + "…";
    }

    /**
     * A non-negative decimal split into its integer part and its fraction, without rounding through double: the
     * fraction's first nine digits, truncated, as nanoseconds of a second (a unit of the integer part). The text is
     * checked before anything is built from it: a number of 64 characters or more, or an exponent past
     * ±{@value #MAX_EXPONENT}, is not a time, a duration or a size (the largest, epoch nanoseconds, has 19 digits),
     * and expanding one such as {@code 1e999999999} would take a gigabyte.
     */
    private record Decimal(boolean negative, long integer, long fractionNanos) {
        static final int MAX_NUMBER_CHARS = 64;
        static final int MAX_EXPONENT = 40;

        static Decimal parse(CharSequence text) {
            if (text.length() >= MAX_NUMBER_CHARS) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' has more digits than a time, duration or size");
            }
            boolean negative = text.length() > 0 && text.charAt(0) == '-';
            int start = negative ? 1 : 0;
            int dot = -1;
            for (int i = start; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == 'e' || c == 'E') {
                    return withExponent(text.toString(), negative, start);
                }
                if (c == '.' && dot < 0) {
                    dot = i;
                }
            }
            return withoutExponent(text, negative, start, dot);
        }

        private static Decimal withExponent(String text, boolean negative, int start) {
            String body = text.substring(start);
            int e = Math.max(body.indexOf('e'), body.indexOf('E'));
            String mantissa = body.substring(0, e);
            int exponent = exponent(text, body.substring(e + 1));
            int dot = mantissa.indexOf('.');
            String whole = dot < 0 ? mantissa : mantissa.substring(0, dot);
            String fraction = dot < 0 ? "" : mantissa.substring(dot + 1);
            if ((whole.isEmpty() && fraction.isEmpty()) || !allDigits(whole, 0, whole.length()) || !allDigits(fraction, 0, fraction.length())) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a number");
            }
            // the decimal point moves by the exponent: at most 63 digits and 40 places, so this stays small
            String digits = whole + fraction;
            int point = whole.length() + exponent;
            if (point <= 0) {
                String shifted = "0".repeat(-point) + digits;
                return new Decimal(negative, 0, nanos(shifted, 0, shifted.length()));
            }
            String integer = point >= digits.length() ? digits + "0".repeat(point - digits.length()) : digits.substring(0, point);
            String rest = point >= digits.length() ? "" : digits.substring(point);
            return new Decimal(negative, integer.isEmpty() ? 0 : Long.parseLong(integer), nanos(rest, 0, rest.length()));
        }

        /**
         * A number without an exponent, as Caddy writes its times, read in place: what an exponent of 0 makes of it,
         * with the same checks in the same order, without the strings an exponent's shift takes.
         */
        private static Decimal withoutExponent(CharSequence text, boolean negative, int start, int dot) {
            int wholeEnd = dot < 0 ? text.length() : dot;
            int fractionStart = dot < 0 ? text.length() : dot + 1;
            if ((wholeEnd == start && fractionStart == text.length()) || !allDigits(text, start, wholeEnd)
                    || !allDigits(text, fractionStart, text.length())) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a number");
            }
            // past 18 digits a long may overflow: Long.parseLong says so, as it does with an exponent
            long integer = 0;
            if (wholeEnd - start > 18) {
                integer = Long.parseLong(text.subSequence(start, wholeEnd).toString());
            } else {
                for (int i = start; i < wholeEnd; i++) {
                    integer = integer * 10 + (text.charAt(i) - '0');
                }
            }
            return new Decimal(negative, integer, nanos(text, fractionStart, text.length()));
        }

        private static int exponent(String text, String exponent) {
            String digits = exponent.startsWith("+") || exponent.startsWith("-") ? exponent.substring(1) : exponent;
            if (digits.isEmpty() || !allDigits(digits, 0, digits.length())) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a number");
            }
            if (digits.length() > 2 || Integer.parseInt(digits) > MAX_EXPONENT) {
                throw new IllegalArgumentException("'" + abbreviate(text) + "' has an exponent out of the range of a time, duration or size");
            }
            return exponent.startsWith("-") ? -Integer.parseInt(digits) : Integer.parseInt(digits);
        }

        private static boolean allDigits(CharSequence s, int from, int to) {
            for (int i = from; i < to; i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                    return false;
                }
            }
            return true;
        }

        /** Fraction digits as nanoseconds: the first nine, truncated, padded with zeros. */
        private static long nanos(CharSequence digits, int from, int to) {
            long value = 0;
            for (int i = 0; i < 9; i++) {
                value = value * 10 + (from + i < to ? digits.charAt(from + i) - '0' : 0);
            }
            return value;
        }

        /** The fraction in microseconds, truncated, as its first six digits are. */
        long fractionMicros() {
            return fractionNanos / 1_000;
        }
    }
}
