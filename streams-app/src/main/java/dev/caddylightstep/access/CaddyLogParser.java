package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Parses one line of Caddy's JSON log with Jackson's streaming parser (no tree per line). Not thread-safe:
 * each stream task makes its own.
 */
public final class CaddyLogParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();

    /** The request headers the parser itself reads. */
    private static final List<String> READ_HEADERS = List.of("User-Agent", "Traceparent", "Tracestate");

    private final LogFormat format;
    private final Redaction redaction;
    private final HeaderNames keptRequestHeaders;
    private final HeaderNames keptResponseHeaders;

    /**
     * @param extraHeaders request headers the pipeline reads besides those the parser reads (an identity header)
     * @param captured headers recorded on spans; a line's other headers (most of its bytes) are skipped, not decoded
     */
    public CaddyLogParser(LogFormat format, Redaction redaction, Set<String> extraHeaders, CapturedHeaders captured) {
        this.format = format;
        this.redaction = redaction;
        TreeSet<String> request = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        request.addAll(READ_HEADERS);
        request.addAll(extraHeaders);
        request.addAll(captured.request());
        this.keptRequestHeaders = kept(request, redaction);
        this.keptResponseHeaders = kept(captured.response(), redaction);
    }

    private static HeaderNames kept(Set<String> names, Redaction redaction) {
        TreeSet<String> kept = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        kept.addAll(names);
        kept.removeIf(redaction::dropsHeader);
        return HeaderNames.of(Collections.unmodifiableSet(kept));
    }

    /**
     * Header names in any case, as HTTP has them. A line carries a dozen or more headers and the parser keeps two or
     * three: most names are ruled out by their length before a comparison, ignoring case, with the kept ones.
     *
     * @param lengths bit n set when a kept name has n characters (names of 63 or more share bit 63)
     */
    private record HeaderNames(Set<String> names, long lengths) {
        static HeaderNames of(Set<String> names) {
            long lengths = 0;
            for (String name : names) {
                lengths |= lengthBit(name);
            }
            return new HeaderNames(names, lengths);
        }

        static long lengthBit(String name) {
            return 1L << Math.min(name.length(), 63);
        }

        boolean contains(String name) {
            return (lengths & lengthBit(name)) != 0 && names.contains(name);
        }
    }

    public int maxLineBytes() {
        return format.maxLineBytes();
    }

    public ParseOutcome parse(byte[] line) {
        if (line == null || line.length == 0) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_JSON, "empty record");
        }
        if (line.length > format.maxLineBytes()) {
            return new ParseOutcome.Rejected(DeadLetterReason.LINE_TOO_LONG,
                    "line of " + line.length + " bytes, more than the " + format.maxLineBytes() + " allowed");
        }
        try (JsonParser p = JSON.createParser(line)) {
            return parse(p, line);
        } catch (InvalidField e) {
            return rejectedUnlessNotAccess(line, e);
        } catch (IOException e) {
            if (isInvalidUtf8(e)) {
                return parseRepaired(line);
            }
            return rejectedFor(e);
        }
    }

    /** A field access lines must not have wrong does not make another logger's line a dead letter. */
    private ParseOutcome rejectedUnlessNotAccess(byte[] line, InvalidField e) {
        String logger = e.reason == DeadLetterReason.DUPLICATE_FIELD ? null : topLevelLogger(line);
        if (logger != null && !logger.startsWith(format.accessLoggerPrefix())) {
            return new ParseOutcome.NotAccess(logger);
        }
        return new ParseOutcome.Rejected(e.reason, e.getMessage());
    }

    private static String topLevelLogger(byte[] line) {
        try (JsonParser p = JSON.createParser(new String(line, StandardCharsets.UTF_8))) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("logger") && value == JsonToken.VALUE_STRING) {
                    return p.getText();
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Go's JSON encoder would have written U+FFFD for bad bytes: do the same, and parse what that gives. */
    private ParseOutcome parseRepaired(byte[] line) {
        byte[] repaired = new String(line, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
        try (JsonParser p = JSON.createParser(repaired)) {
            return parse(p, line);
        } catch (InvalidField e) {
            return rejectedUnlessNotAccess(repaired, e);
        } catch (IOException e) {
            ParseOutcome.Rejected cause = rejectedFor(e);
            return new ParseOutcome.Rejected(DeadLetterReason.INVALID_UTF8,
                    "invalid UTF-8, and after replacing it: " + cause.detail());
        }
    }

    private static ParseOutcome.Rejected rejectedFor(IOException e) {
        String message = firstLine(e);
        // Jackson reports some cuts (after a comma, inside "fal") as syntax errors that say so
        if (e instanceof JsonEOFException || message.startsWith("Unexpected end-of-input")) {
            return new ParseOutcome.Rejected(DeadLetterReason.TRUNCATED, message);
        }
        if (e instanceof com.fasterxml.jackson.core.exc.InputCoercionException) {
            return new ParseOutcome.Rejected(DeadLetterReason.INVALID_VALUE, message);
        }
        return new ParseOutcome.Rejected(DeadLetterReason.NOT_JSON, message);
    }

    private static boolean isInvalidUtf8(IOException e) {
        return e instanceof java.io.CharConversionException
                || (e instanceof StreamReadException && String.valueOf(e.getMessage()).startsWith("Invalid UTF-8"));
    }

    private static String firstLine(Exception e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private ParseOutcome parse(JsonParser p, byte[] line) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_JSON, "blank line");
        }
        if (first != JsonToken.START_OBJECT) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_AN_OBJECT, "a JSON " + describe(first) + ", not an object");
        }
        Fields f = new Fields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            readTopLevel(p, name, value, f);
        }
        if (p.nextToken() != null) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_JSON, "more data after the JSON object");
        }
        if (f.logger == null && !f.hasMessage) {
            // Caddy's default logger writes no logger name, but every zap entry has its message: this is no Caddy line
            return new ParseOutcome.Rejected(DeadLetterReason.MISSING_FIELD, "missing field logger (and msg): not a line Caddy wrote");
        }
        if (f.logger == null || !f.logger.startsWith(format.accessLoggerPrefix())) {
            return new ParseOutcome.NotAccess(f.logger == null ? "" : f.logger);
        }
        return new ParseOutcome.Parsed(toEvent(f, line));
    }

    private void readTopLevel(JsonParser p, String name, JsonToken value, Fields f) throws IOException {
        switch (name) {
            case "logger" -> f.logger = string(p, f.claim(Fields.LOGGER, name, value), "logger");
            case "ts" -> f.endEpochNanos = timestamp(p, f.claim(Fields.TS, name, value));
            case "duration" -> f.durationNanos = duration(p, f.claim(Fields.DURATION, name, value));
            case "status" -> f.status = integer(p, f.claim(Fields.STATUS, name, value), "status");
            case "size" -> f.size = longValue(p, f.claim(Fields.SIZE, name, value), "size");
            case "bytes_read" -> f.bytesRead = longValue(p, f.claim(Fields.BYTES_READ, name, value), "bytes_read");
            case "request" -> readRequest(p, f.claim(Fields.REQUEST, name, value), f);
            case "resp_headers" -> f.responseHeaders = headers(p, f.claim(Fields.RESPONSE_HEADERS, name, value), name, keptResponseHeaders);
            case "traceID" -> f.caddyTraceId = string(p, f.claim(Fields.TRACE_ID, name, value), "traceID");
            case "spanID" -> f.caddySpanId = string(p, f.claim(Fields.SPAN_ID, name, value), "spanID");
            case "msg" -> {
                f.hasMessage = value == JsonToken.VALUE_STRING;
                p.skipChildren();
            }
            default -> {
                if (name.equals(format.userIdField())) {
                    f.userId = string(p, f.claim(Fields.USER_ID, name, value), name);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void readRequest(JsonParser p, JsonToken value, Fields f) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        expect(value, JsonToken.START_OBJECT, "request");
        f.hasRequest = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            switch (name) {
                case "remote_ip" -> f.remoteIp = string(p, f.claim(Fields.REMOTE_IP, "request.remote_ip", token), "request.remote_ip");
                case "remote_port" -> f.remotePort = port(p, f.claim(Fields.REMOTE_PORT, "request.remote_port", token));
                case "client_ip" -> f.clientIp = string(p, f.claim(Fields.CLIENT_IP, "request.client_ip", token), "request.client_ip");
                case "proto" -> f.protocol = string(p, f.claim(Fields.PROTO, "request.proto", token), "request.proto");
                case "method" -> f.method = string(p, f.claim(Fields.METHOD, "request.method", token), "request.method");
                case "host" -> f.host = string(p, f.claim(Fields.HOST, "request.host", token), "request.host");
                case "uri" -> f.uri = string(p, f.claim(Fields.URI, "request.uri", token), "request.uri");
                case "headers" -> f.requestHeaders = headers(p, f.claim(Fields.REQUEST_HEADERS, "request.headers", token), "request.headers",
                        keptRequestHeaders);
                case "tls" -> f.tls = tls(p, f.claim(Fields.TLS, "request.tls", token), f);
                default -> p.skipChildren();
            }
        }
    }

    /** The kept headers of a header object; by name in any case, as HTTP has them, so "user-agent" twice is a duplicate too. */
    private Map<String, List<String>> headers(JsonParser p, JsonToken value, String object, HeaderNames kept) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return Map.of();
        }
        expect(value, JsonToken.START_OBJECT, object);
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            if (!kept.contains(name)) {
                p.skipChildren();
                continue;
            }
            String field = object + "." + name;
            if (headers.containsKey(name)) {
                throw Fields.duplicate(field);
            }
            if (token == JsonToken.VALUE_NULL) {
                continue;
            }
            expect(token, JsonToken.START_ARRAY, field);
            List<String> values = new ArrayList<>(1);
            JsonToken item;
            while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                values.add(string(p, item, field));
            }
            headers.put(name, Collections.unmodifiableList(values));
        }
        return Collections.unmodifiableMap(headers);
    }

    private TlsInfo tls(JsonParser p, JsonToken value, Fields f) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(value, JsonToken.START_OBJECT, "request.tls");
        boolean resumed = false;
        int version = 0;
        int cipherSuite = 0;
        String proto = null;
        String serverName = null;
        String clientCommonName = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            switch (name) {
                case "resumed" -> resumed = bool(f.claim(Fields.TLS_RESUMED, "request.tls.resumed", token), "request.tls.resumed");
                case "version" -> version = integer(p, f.claim(Fields.TLS_VERSION, "request.tls.version", token), "request.tls.version");
                case "cipher_suite" -> cipherSuite = integer(p, f.claim(Fields.TLS_CIPHER_SUITE, "request.tls.cipher_suite", token),
                        "request.tls.cipher_suite");
                case "proto" -> proto = string(p, f.claim(Fields.TLS_PROTO, "request.tls.proto", token), "request.tls.proto");
                case "server_name" -> serverName = string(p, f.claim(Fields.TLS_SERVER_NAME, "request.tls.server_name", token),
                        "request.tls.server_name");
                case "client_common_name" -> clientCommonName = string(p,
                        f.claim(Fields.TLS_CLIENT_COMMON_NAME, "request.tls.client_common_name", token), "request.tls.client_common_name");
                default -> p.skipChildren();
            }
        }
        return new TlsInfo(resumed, version, cipherSuite, emptyToNull(proto), emptyToNull(serverName), emptyToNull(clientCommonName));
    }

    private AccessEvent toEvent(Fields f, byte[] line) {
        if (!f.hasRequest) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "no request object");
        }
        require(f.method, "request.method");
        require(f.uri, "request.uri");
        if (f.endEpochNanos == null) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "missing field ts");
        }
        if (f.durationNanos == null) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "missing field duration");
        }
        if (f.status == null) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "missing field status");
        }
        if (!isToken(f.method)) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "request.method '" + LogTimes.abbreviate(f.method) + "' is not an HTTP method");
        }
        if (f.uri.isEmpty()) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "request.uri is empty");
        }
        int status = f.status;
        if (status < 0 || status > 999) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "status " + status + " is not an HTTP status");
        }
        if (f.size < 0) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "negative size " + f.size);
        }
        RequestTarget target = RequestTarget.split(f.uri);
        String query = redaction.redactQuery(target.query());
        String uri = query == target.query() ? f.uri : f.uri.substring(0, f.uri.length() - target.query().length()) + query;
        Map<String, List<String>> requestHeaders = f.requestHeaders == null ? Map.of() : f.requestHeaders;
        TraceContext trace = TraceIds.resolve(line, 0, line.length, f.caddyTraceId, f.caddySpanId,
                first(requestHeaders, "Traceparent"), joined(requestHeaders, "Tracestate"));
        return new AccessEvent(
                f.endEpochNanos,
                f.durationNanos,
                f.logger,
                f.method,
                f.host == null ? "" : f.host,
                uri,
                target.path(),
                query,
                f.tls != null ? "https" : "http",
                f.protocol == null ? "" : f.protocol,
                f.remoteIp == null ? "" : f.remoteIp,
                f.remotePort,
                emptyToNull(f.clientIp),
                // Caddy logs 0 when no handler wrote anything, and Go then sends an empty 200
                status == 0 ? 200 : status,
                f.size,
                f.bytesRead,
                f.userId == null ? "" : f.userId,
                first(requestHeaders, "User-Agent"),
                requestHeaders,
                f.responseHeaders == null ? Map.of() : f.responseHeaders,
                f.tls,
                trace);
    }

    private long timestamp(JsonParser p, JsonToken value) throws IOException {
        try {
            return switch (value) {
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> LogTimes.epochNanosFromNumber(p.getText());
                case VALUE_STRING -> LogTimes.epochNanosFromString(p.getText());
                default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, "ts is a " + describe(value) + ", not a time");
            };
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "ts: " + e.getMessage());
        }
    }

    private long duration(JsonParser p, JsonToken value) throws IOException {
        try {
            return switch (value) {
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
                        LogTimes.durationNanosFromNumber(p.getText(), value == JsonToken.VALUE_NUMBER_INT, format.durationFormat());
                case VALUE_STRING -> LogTimes.durationNanosFromGoString(p.getText());
                default -> throw new InvalidField(DeadLetterReason.WRONG_TYPE, "duration is a " + describe(value) + ", not a duration");
            };
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "duration: " + e.getMessage());
        }
    }

    private static int port(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return -1;
        }
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return p.getIntValue();
        }
        String text = string(p, value, "request.remote_port");
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
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "request.remote_port '" + LogTimes.abbreviate(text) + "' is not a port");
        }
    }

    private static String string(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not a string");
        }
        return p.getText();
    }

    private static Integer integer(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw new InvalidField(DeadLetterReason.WRONG_TYPE, field + " is a " + describe(value) + ", not an integer");
        }
        return p.getIntValue();
    }

    private static long longValue(JsonParser p, JsonToken value, String field) throws IOException {
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

    private static void require(String value, String field) {
        if (value == null) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "missing field " + field);
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> token.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** RFC 9110's token: what a method can be. */
    private static boolean isToken(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The first value of a header; the parser's header maps look names up in any case. */
    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String joined(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /**
     * The fields of one line as they are read, in whatever order the line has them. A field read twice is
     * ambiguous (which status is true?): the line is refused rather than guessed at. Only the fields read are
     * checked, which costs a bit per field instead of Jackson's check of every name in the line.
     */
    private static final class Fields {
        static final int LOGGER = 0, TS = 1, DURATION = 2, STATUS = 3, SIZE = 4, BYTES_READ = 5, REQUEST = 6,
                TRACE_ID = 8, SPAN_ID = 9, USER_ID = 10, REMOTE_IP = 11, REMOTE_PORT = 12, CLIENT_IP = 13, PROTO = 14, METHOD = 15,
                HOST = 16, URI = 17, REQUEST_HEADERS = 18, TLS = 19, TLS_RESUMED = 20, TLS_VERSION = 21, TLS_CIPHER_SUITE = 22,
                TLS_PROTO = 23, TLS_SERVER_NAME = 24, TLS_CLIENT_COMMON_NAME = 25, RESPONSE_HEADERS = 26;
        int seen;
        String logger;
        /** zap's message key: every line of every Caddy logger has one. */
        boolean hasMessage;
        Long endEpochNanos;
        Long durationNanos;
        Integer status;
        long size;
        long bytesRead = -1;
        boolean hasRequest;
        String remoteIp;
        int remotePort = -1;
        String clientIp;
        String protocol;
        String method;
        String host;
        String uri;
        Map<String, List<String>> requestHeaders;
        Map<String, List<String>> responseHeaders;
        TlsInfo tls;
        String userId;
        String caddyTraceId;
        String caddySpanId;

        /** Marks the field as read and passes its value on; a second time, the line is refused. */
        JsonToken claim(int field, String name, JsonToken value) {
            int bit = 1 << field;
            if ((seen & bit) != 0) {
                throw duplicate(name);
            }
            seen |= bit;
            return value;
        }

        static InvalidField duplicate(String name) {
            return new InvalidField(DeadLetterReason.DUPLICATE_FIELD, "Duplicate field '" + name + "'");
        }
    }

    /** A field that makes the line unusable; unchecked so that the field readers stay plain. */
    private static final class InvalidField extends RuntimeException {
        final DeadLetterReason reason;

        InvalidField(DeadLetterReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
