package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonToken;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads the fields of a Caddy line's JSON object that the parser uses, by type, from the line's tokens; every other
 * field, and every header not asked for, is skipped without being decoded. What the fields make of a request is
 * {@link CaddyLogParser}'s business.
 */
final class CaddyLineReader {
    /** What Double.parseDouble may read of a log_append number: no NaN, Infinity, hexadecimal or type suffix. */
    private static final Pattern DECIMAL = Pattern.compile("[0-9.eE+-]+");
    private final LogFormat format;
    private final Map<String, FieldName> fieldNames;
    /** The user id field's name: {@link FieldName#USER_ID} unless it is configured as another name. */
    private final FieldName userIdName;
    private final HeaderNames requestHeaders;
    private final HeaderNames responseHeaders;

    /**
     * @param read the headers the parser reads for itself (those not redacted)
     * @param keptRequest request headers kept for a stage, by name in any case
     * @param keptResponse response headers kept for a stage, by name in any case
     */
    CaddyLineReader(LogFormat format, Set<ReadHeader> read, Set<String> keptRequest, Set<String> keptResponse) {
        this.format = format;
        this.fieldNames = FieldName.byName(format.userIdField());
        this.userIdName = fieldNames.get(format.userIdField());
        this.requestHeaders = HeaderNames.of(keptRequest, read, false);
        this.responseHeaders = HeaderNames.of(keptResponse, read, true);
    }

    /** What the parser does with a header: keeps it for a stage, reads it for itself, or both. */
    private record Header(boolean kept, ReadHeader read) {
    }

    /**
     * Header names in any case, as HTTP has them. A line carries a dozen or more headers and the parser reads or keeps
     * two or three: most names are ruled out by their length before a comparison, ignoring case, with those. What a
     * name of a length read or kept came to is remembered by the name as written, which the scanner gives as the same
     * String each time for names of up to 16 bytes, its hash kept: a lookup in the names ignoring case, char by char,
     * was a twenty-fifth of reading a line. Not thread-safe, as the reader.
     */
    private static final class HeaderNames {
        /**
         * Names remembered at most, and their longest: a client chooses the names it sends (up to Caddy's megabyte of
         * headers); the rest are looked up each time.
         */
        private static final int MAX_REMEMBERED = 1024;
        private static final int MAX_REMEMBERED_CHARS = 64;
        /** What a name that is neither read nor kept is remembered as. */
        private static final Header SKIPPED = new Header(false, null);
        private final Map<String, Header> byName;
        /** Bit n set when a name read or kept has n characters (names of 63 or more share bit 63). */
        private final long lengths;
        private final Map<String, Header> remembered = new HashMap<>();

        private HeaderNames(Map<String, Header> byName) {
            this.byName = byName;
            long lengths = 0;
            for (String name : byName.keySet()) {
                lengths |= lengthBit(name.length());
            }
            this.lengths = lengths;
        }

        static HeaderNames of(Set<String> kept, Set<ReadHeader> read, boolean response) {
            Map<String, Header> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            kept.forEach(name -> byName.put(name, new Header(true, null)));
            for (ReadHeader header : read) {
                if (header.response == response) {
                    byName.put(header.header, new Header(byName.containsKey(header.header), header));
                }
            }
            return new HeaderNames(byName);
        }

        private static long lengthBit(int length) {
            return 1L << Math.min(length, 63);
        }

        /**
         * What to do with the header whose name is the current token, or null to skip it. Most are ruled out by their
         * name's length alone, before a String is made of the name.
         */
        Header of(LineTokens p) throws IOException {
            if ((lengths & lengthBit(p.currentNameLength())) == 0) {
                return null;
            }
            String name = p.currentName();
            Header header = remembered.get(name);
            if (header == null) {
                header = byName.getOrDefault(name, SKIPPED);
                if (remembered.size() < MAX_REMEMBERED && name.length() <= MAX_REMEMBERED_CHARS) {
                    remembered.put(name, header);
                }
            }
            return header == SKIPPED ? null : header;
        }
    }

    /** The field names this reader reads, the user id field's as configured, for its tokens to give ({@link LineTokens#fieldName}). */
    Map<String, FieldName> fieldNames() {
        return fieldNames;
    }

    /** Reads the fields of the object whose START_OBJECT the parser is past, up to its END_OBJECT. */
    LineFields readObject(LineTokens p) throws IOException {
        LineFields f = new LineFields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            FieldName name = p.fieldName();
            JsonToken value = p.nextToken();
            readTopLevel(p, name, value, f);
        }
        return f;
    }

    private void readTopLevel(LineTokens p, FieldName name, JsonToken value, LineFields f) throws IOException {
        switch (name) {
            case LOGGER -> f.logger = recurring(p, LineField.LOGGER, value, f);
            case TS -> f.endEpochNanos = timestamp(p, claim(f, LineField.TS, value));
            case DURATION -> f.durationNanos = duration(p, claim(f, LineField.DURATION, value));
            case STATUS -> {
                if (claim(f, LineField.STATUS, value) != JsonToken.VALUE_NULL) {
                    f.status = integer(p, value, LineField.STATUS.path);
                    f.hasStatus = true;
                }
            }
            case SIZE -> f.size = longValue(p, claim(f, LineField.SIZE, value), LineField.SIZE.path);
            case BYTES_READ -> f.bytesRead = longValue(p, claim(f, LineField.BYTES_READ, value), LineField.BYTES_READ.path);
            case REQUEST -> readRequest(p, claim(f, LineField.REQUEST, value), f);
            case RESP_HEADERS -> f.responseHeaders = headers(p, claim(f, LineField.RESPONSE_HEADERS, value), LineField.RESPONSE_HEADERS.path,
                    responseHeaders, f);
            case TRACE_ID -> f.caddyTraceId = string(p, claim(f, LineField.TRACE_ID, value), LineField.TRACE_ID.path);
            case SPAN_ID -> f.caddySpanId = string(p, claim(f, LineField.SPAN_ID, value), LineField.SPAN_ID.path);
            case UPSTREAM_DURATION_MS -> f.upstreamDurationMs = millis(p, claim(f, LineField.UPSTREAM_DURATION_MS, value), LineField.UPSTREAM_DURATION_MS.path);
            case UPSTREAM_LATENCY_MS -> f.upstreamLatencyMs = millis(p, claim(f, LineField.UPSTREAM_LATENCY_MS, value), LineField.UPSTREAM_LATENCY_MS.path);
            case UPSTREAM_ADDR -> f.upstreamAddr = recurring(p, LineField.UPSTREAM_ADDR, value, f);
            case MSG -> {
                f.hasMessage = value == JsonToken.VALUE_STRING;
                p.skipChildren();
            }
            default -> {
                if (name == userIdName) {
                    f.userId = string(p, f.claim(LineField.USER_ID, format.userIdField(), value), format.userIdField());
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void readRequest(LineTokens p, JsonToken value, LineFields f) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        expect(value, JsonToken.START_OBJECT, LineField.REQUEST.path);
        f.hasRequest = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            FieldName name = p.fieldName();
            JsonToken token = p.nextToken();
            switch (name) {
                case REMOTE_IP -> f.remoteIp = string(p, LineField.REMOTE_IP, token, f);
                case REMOTE_PORT -> f.remotePort = port(p, claim(f, LineField.REMOTE_PORT, token));
                case CLIENT_IP -> f.clientIp = string(p, LineField.CLIENT_IP, token, f);
                case PROTO -> f.protocol = recurring(p, LineField.PROTO, token, f);
                case METHOD -> f.method = recurring(p, LineField.METHOD, token, f);
                case HOST -> f.host = recurring(p, LineField.HOST, token, f);
                case URI -> f.uri = string(p, LineField.URI, token, f);
                case HEADERS -> f.requestHeaders = headers(p, claim(f, LineField.REQUEST_HEADERS, token), LineField.REQUEST_HEADERS.path,
                        requestHeaders, f);
                case TLS -> readTls(p, claim(f, LineField.TLS, token), f);
                default -> p.skipChildren();
            }
        }
    }

    /**
     * The headers of a header object the parser reads into their fields, and the map of those kept for a stage, null
     * when none is; by name in any case, as HTTP has them, so "user-agent" twice is a duplicate too.
     */
    private static Map<String, List<String>> headers(LineTokens p, JsonToken value, String object, HeaderNames names, LineFields f)
            throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(value, JsonToken.START_OBJECT, object);
        Map<String, List<String>> kept = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            Header header = names.of(p);
            JsonToken token = p.nextToken();
            if (header == null) {
                p.skipChildren();
                continue;
            }
            String name = p.currentName();
            if ((header.kept() && kept != null && kept.containsKey(name)) || (header.read() != null && f.read(header.read()) != null)) {
                throw InvalidField.duplicate(object + "." + name);
            }
            if (token == JsonToken.VALUE_NULL) {
                continue;
            }
            List<String> values = headerValues(p, token, object, name);
            if (header.kept()) {
                if (kept == null) {
                    kept = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                }
                kept.put(name, values);
            }
            if (header.read() != null) {
                f.read(header.read(), values);
            }
        }
        return kept == null ? null : Collections.unmodifiableMap(kept);
    }

    /** A header's array of strings; most headers have one value. */
    private static List<String> headerValues(LineTokens p, JsonToken value, String object, String name) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            expect(value, JsonToken.START_ARRAY, object + "." + name);
        }
        JsonToken item = p.nextToken();
        if (item == JsonToken.END_ARRAY) {
            return Collections.emptyList();
        }
        String first = headerValue(p, item, object, name);
        item = p.nextToken();
        if (item == JsonToken.END_ARRAY) {
            return Collections.singletonList(first);
        }
        List<String> values = new ArrayList<>(2);
        values.add(first);
        for (; item != JsonToken.END_ARRAY; item = p.nextToken()) {
            values.add(headerValue(p, item, object, name));
        }
        return Collections.unmodifiableList(values);
    }

    /**
     * A value of a header the pipeline keeps or reads: a string, as Go's http.Header has only strings. A null in the
     * array (no Caddy writes one; a line sent to ship --listen may) would reach the span's attributes, where nothing
     * may be null, and fail the line far from here.
     */
    private static String headerValue(LineTokens p, JsonToken item, String object, String name) throws IOException {
        if (item != JsonToken.VALUE_STRING) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, object + "." + name + " holds a " + describe(item) + ", not a string");
        }
        return p.getText();
    }

    private static void readTls(LineTokens p, JsonToken value, LineFields f) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        expect(value, JsonToken.START_OBJECT, LineField.TLS.path);
        f.hasTls = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            FieldName name = p.fieldName();
            JsonToken token = p.nextToken();
            switch (name) {
                case RESUMED -> f.tlsResumed = bool(claim(f, LineField.TLS_RESUMED, token), LineField.TLS_RESUMED.path);
                case VERSION -> f.tlsVersion = intOrZero(p, LineField.TLS_VERSION, token, f);
                case CIPHER_SUITE -> f.tlsCipherSuite = intOrZero(p, LineField.TLS_CIPHER_SUITE, token, f);
                case PROTO -> f.tlsProto = recurring(p, LineField.TLS_PROTO, token, f);
                case SERVER_NAME -> f.tlsServerName = recurring(p, LineField.TLS_SERVER_NAME, token, f);
                case CLIENT_COMMON_NAME -> f.tlsClientCommonName = string(p, LineField.TLS_CLIENT_COMMON_NAME, token, f);
                default -> p.skipChildren();
            }
        }
    }

    private long timestamp(LineTokens p, JsonToken value) throws IOException {
        try {
            return switch (value) {
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> LogTimes.epochNanosFromNumber(p.numberText());
                case VALUE_STRING -> LogTimes.epochNanosFromString(p.getText());
                default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, "ts is a " + describe(value) + ", not a time");
            };
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "ts: " + e.getMessage());
        }
    }

    private long duration(LineTokens p, JsonToken value) throws IOException {
        try {
            return switch (value) {
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
                        LogTimes.durationNanosFromNumber(p.numberText(), value == JsonToken.VALUE_NUMBER_INT, format.durationFormat());
                case VALUE_STRING -> LogTimes.durationNanosFromGoString(p.getText());
                default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, "duration is a " + describe(value) + ", not a duration");
            };
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "duration: " + e.getMessage());
        }
    }

    /**
     * A log_append time in milliseconds: Caddy writes the placeholder's number, or a string when the value had text
     * around it; null or "" when the request never reached reverse_proxy. NaN for those.
     */
    private static double millis(LineTokens p, JsonToken value, String field) throws IOException {
        String text = switch (value) {
            case VALUE_NULL -> "";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_STRING -> p.getText().trim();
            default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not milliseconds");
        };
        if (text.isEmpty()) {
            return Double.NaN;
        }
        // Go writes a float64 with an exponent when it is small or large (1e-06): short numbers only, as for ts
        double millis = text.length() > 32 || !DECIMAL.matcher(text).matches() ? Double.NaN : parseOrNaN(text);
        if (!(millis >= 0) || Double.isInfinite(millis)) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, field + " '" + LogTimes.abbreviate(text) + "' is not a number of milliseconds");
        }
        return millis;
    }

    private static double parseOrNaN(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static int port(LineTokens p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return -1;
        }
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return p.getIntValue();
        }
        String path = LineField.REMOTE_PORT.path;
        String text = string(p, value, path);
        if (text.isEmpty()) {
            return -1;
        }
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, path + " '" + LogTimes.abbreviate(text) + "' is not a port");
        }
    }

    private static JsonToken claim(LineFields f, LineField field, JsonToken value) {
        return f.claim(field, field.path, value);
    }

    private static String string(LineTokens p, LineField field, JsonToken value, LineFields f) throws IOException {
        return string(p, claim(f, field, value), field.path);
    }

    private static String string(LineTokens p, JsonToken value, String field) throws IOException {
        return isString(value, field) ? p.getText() : null;
    }

    /**
     * A string whose values recur from line to line, so few that the same bytes give the same String
     * ({@link LineTokens#getRecurringText}) rather than a String made for each line.
     */
    private static String recurring(LineTokens p, LineField field, JsonToken value, LineFields f) throws IOException {
        return isString(claim(f, field, value), field.path) ? p.getRecurringText() : null;
    }

    /** Whether the value is a string; false for null, a wrong type for anything else. */
    private static boolean isString(JsonToken value, String field) {
        if (value == JsonToken.VALUE_NULL) {
            return false;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not a string");
        }
        return true;
    }

    private static int intOrZero(LineTokens p, LineField field, JsonToken value, LineFields f) throws IOException {
        return claim(f, field, value) == JsonToken.VALUE_NULL ? 0 : integer(p, value, field.path);
    }

    /** An integer that is not null. */
    private static int integer(LineTokens p, JsonToken value, String field) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not an integer");
        }
        return p.getIntValue();
    }

    private static long longValue(LineTokens p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return -1;
        }
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not an integer");
        }
        return p.getLongValue();
    }

    private static boolean bool(JsonToken value, String field) {
        return switch (value) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not a boolean");
        };
    }

    private static void expect(JsonToken actual, JsonToken expected, String field) {
        if (actual != expected) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(actual) + ", not a" +
                    (expected == JsonToken.START_OBJECT ? "n object" : "n array"));
        }
    }

    static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> token.name().toLowerCase(Locale.ROOT);
        };
    }
}
