package dev.caddylightstep.ship;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/**
 * What the shipper reads from a line before producing it: the record timestamp (the line's {@code ts}) and,
 * if configured, the record key (the value of one field). A streaming parse that stops as soon as it has
 * both; Caddy writes {@code ts} second, so for most lines that is after a few dozen bytes.
 *
 * @param timestampMs epoch milliseconds for the record
 * @param key the key field's value as UTF-8, or null
 */
record LineFields(long timestampMs, byte[] key) {
    /** The broker rejects a CreateTime further ahead than log.message.timestamp.after.max.ms (default 1 h). */
    static final long MAX_AHEAD_MS = 60 * 60 * 1000L;
    // unix seconds are about 1.8e9 today, milliseconds 1.8e12, nanoseconds 1.8e18: the magnitudes never meet
    private static final long MILLIS_THRESHOLD = 100_000_000_000L;
    private static final long NANOS_THRESHOLD = 100_000_000_000_000_000L;
    private static final JsonFactory JSON = JsonFactory.builder().build();
    /** Caddy's rfc3339, rfc3339_nano and iso8601 time formats (zap writes iso8601's offset without a colon). */
    private static final DateTimeFormatter RFC3339_FAMILY = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .appendPattern("HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .appendPattern("[XXX][XX]")
            .toFormatter();

    /**
     * @param keyPath the key field's path split at dots (request.host is {"request", "host"}), or null for no key
     * @param nowMs the timestamp to use when the line has no usable {@code ts}
     */
    static LineFields read(byte[] line, int offset, int length, String[] keyPath, long nowMs) {
        long timestamp = -1;
        byte[] key = null;
        boolean keyDone = keyPath == null;
        try (JsonParser parser = JSON.createParser(line, offset, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return new LineFields(nowMs, null);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (timestamp < 0 && name.equals("ts")) {
                    timestamp = timestamp(parser, value);
                } else if (!keyDone && name.equals(keyPath[0])) {
                    key = keyValue(parser, value, keyPath, 1);
                    keyDone = true;
                } else {
                    parser.skipChildren();
                }
                if (timestamp >= 0 && keyDone) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or JSON Caddy did not write: the record still goes out, the pipeline dead-letters it
        }
        return new LineFields(usable(timestamp, nowMs) ? timestamp : nowMs, key);
    }

    static String[] keyPath(String field) {
        return field == null || field.isBlank() ? null : field.trim().split("\\.");
    }

    private static boolean usable(long timestamp, long nowMs) {
        return timestamp > 0 && timestamp <= nowMs + MAX_AHEAD_MS;
    }

    private static long timestamp(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
            return epochMillisFromNumber(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
        }
        if (value == JsonToken.VALUE_STRING) {
            return epochMillisFromString(parser.getText());
        }
        parser.skipChildren();
        return -1;
    }

    /** Unix seconds (Caddy's default, a float), milliseconds or nanoseconds, told apart by magnitude; -1 if not a time. */
    static long epochMillisFromNumber(char[] text, int offset, int length) {
        long integer = 0;
        int i = offset;
        int end = offset + length;
        int digits = 0;
        while (i < end && text[i] >= '0' && text[i] <= '9') {
            if (++digits > 19) {
                return -1;
            }
            integer = integer * 10 + (text[i++] - '0');
        }
        if (digits == 0) {
            return -1;
        }
        if (i < end && text[i] != '.') {
            return viaBigDecimal(new String(text, offset, length));
        }
        if (integer >= NANOS_THRESHOLD) {
            return integer / 1_000_000L;
        }
        if (integer >= MILLIS_THRESHOLD) {
            return integer;
        }
        long millis = integer * 1000L;
        int scale = 100;
        for (int j = i + 1; j < end && scale > 0; j++, scale /= 10) {
            char c = text[j];
            if (c < '0' || c > '9') {
                return viaBigDecimal(new String(text, offset, length));
            }
            millis += (c - '0') * (long) scale;
        }
        return millis;
    }

    /** A number in exponent form, as some encoders write large floats. */
    private static long viaBigDecimal(String text) {
        try {
            BigDecimal value = new BigDecimal(text);
            if (value.signum() <= 0) {
                return -1;
            }
            BigDecimal millis;
            if (value.compareTo(BigDecimal.valueOf(NANOS_THRESHOLD)) >= 0) {
                millis = value.movePointLeft(6);
            } else if (value.compareTo(BigDecimal.valueOf(MILLIS_THRESHOLD)) >= 0) {
                millis = value;
            } else {
                millis = value.movePointRight(3);
            }
            return millis.longValue();
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static long epochMillisFromString(String text) {
        try {
            OffsetDateTime time = OffsetDateTime.parse(text, RFC3339_FAMILY);
            return time.toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }

    private static byte[] keyValue(JsonParser parser, JsonToken value, String[] path, int depth) throws IOException {
        if (depth == path.length) {
            if (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT
                    || value == JsonToken.VALUE_NUMBER_FLOAT || value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
                return parser.getText().getBytes(StandardCharsets.UTF_8);
            }
            parser.skipChildren();
            return null;
        }
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        byte[] found = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken next = parser.nextToken();
            if (found == null && name.equals(path[depth])) {
                found = keyValue(parser, next, path, depth + 1);
            } else {
                parser.skipChildren();
            }
        }
        return found;
    }
}
