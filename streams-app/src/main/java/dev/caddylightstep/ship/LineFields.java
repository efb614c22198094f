package dev.caddylightstep.ship;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.caddylightstep.access.LogTimes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the shipper reads from a line before producing it: the record timestamp (the line's {@code ts}) and,
 * if configured, the record key (the value of one field). A streaming parse that stops as soon as it has
 * both; Caddy writes {@code ts} second, so for most lines that is after a few dozen bytes.
 *
 * @param timestampMs epoch milliseconds for the record
 * @param key the key field's value as UTF-8, or null
 */
record LineFields(long timestampMs, byte[] key) {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /**
     * @param keyPath the key field's path split at dots (request.host is {"request", "host"}), or null for no key
     * @param nowMs the shipper's clock: the timestamp of a line with no usable {@code ts}
     * @param maxClockSkewMs how far ahead of {@code nowMs} a line's {@code ts} is still used (caddy.log.max-clock-skew).
     *     The broker refuses a CreateTime more than log.message.timestamp.after.max.ms (1 h by default) ahead of its
     *     own clock, which may be behind the shipper's: a bound of an hour here would let a line the broker refuses
     *     through, and the shipper stops at a record the broker refuses.
     */
    static LineFields read(byte[] line, int offset, int length, String[] keyPath, long nowMs, long maxClockSkewMs) {
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
        return new LineFields(timestamp > 0 && timestamp - nowMs <= maxClockSkewMs ? timestamp : nowMs, key);
    }

    static String[] keyPath(String field) {
        return field == null || field.isBlank() ? null : field.trim().split("\\.");
    }

    /** The line's ts, read as the pipeline reads it (every time_format Caddy writes); -1 if it is not a time. */
    private static long timestamp(JsonParser parser, JsonToken value) throws IOException {
        try {
            if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
                return Math.floorDiv(LogTimes.epochNanosFromNumber(parser.getText()), 1_000_000L);
            }
            if (value == JsonToken.VALUE_STRING) {
                return Math.floorDiv(LogTimes.epochNanosFromString(parser.getText()), 1_000_000L);
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            return -1;
        }
        parser.skipChildren();
        return -1;
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
