package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one line of Caddy's JSON log with Jackson's streaming parser (no tree per line). Not thread-safe:
 * each stream task makes its own.
 */
public final class CaddyLogParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            // a field given twice is ambiguous (which status is true?): reject rather than guess
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();

    private final LogFormat format;
    private final Redaction redaction;
    private final TraceIds traceIds = new TraceIds();

    public CaddyLogParser(LogFormat format, Redaction redaction) {
        this.format = format;
        this.redaction = redaction;
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
        String logger = topLevelLogger(line);
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
        if (message.startsWith("Duplicate field")) {
            return new ParseOutcome.Rejected(DeadLetterReason.DUPLICATE_FIELD, message);
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
        if (f.logger == null || !f.logger.startsWith(format.accessLoggerPrefix())) {
            return new ParseOutcome.NotAccess(f.logger == null ? "" : f.logger);
        }
        return new ParseOutcome.Parsed(toEvent(f, line));
    }

    private void readTopLevel(JsonParser p, String name, JsonToken value, Fields f) throws IOException {
        switch (name) {
            case "logger" -> f.logger = string(p, value, "logger");
            case "ts" -> f.endEpochNanos = timestamp(p, value);
            case "duration" -> f.durationNanos = duration(p, value);
            case "status" -> f.status = integer(p, value, "status");
            case "size" -> f.size = longValue(p, value, "size");
            case "bytes_read" -> f.bytesRead = longValue(p, value, "bytes_read");
            case "request" -> readRequest(p, value, f);
            case "resp_headers" -> f.responseHeaders = headers(p, value, "resp_headers");
            case "traceID" -> f.caddyTraceId = string(p, value, "traceID");
            case "spanID" -> f.caddySpanId = string(p, value, "spanID");
            default -> {
                if (name.equals(format.userIdField())) {
                    f.userId = string(p, value, name);
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
                case "remote_ip" -> f.remoteIp = string(p, token, "request.remote_ip");
                case "remote_port" -> f.remotePort = port(p, token);
                case "client_ip" -> f.clientIp = string(p, token, "request.client_ip");
                case "proto" -> f.protocol = string(p, token, "request.proto");
                case "method" -> f.method = string(p, token, "request.method");
                case "host" -> f.host = string(p, token, "request.host");
                case "uri" -> f.uri = string(p, token, "request.uri");
                case "headers" -> f.requestHeaders = headers(p, token, "request.headers");
                case "tls" -> f.tls = tls(p, token);
                default -> p.skipChildren();
            }
        }
    }

    private Map<String, List<String>> headers(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return Map.of();
        }
        expect(value, JsonToken.START_OBJECT, field);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            if (redaction.dropsHeader(name)) {
                p.skipChildren();
                continue;
            }
            if (token == JsonToken.VALUE_NULL) {
                continue;
            }
            expect(token, JsonToken.START_ARRAY, field + "." + name);
            List<String> values = new ArrayList<>(1);
            JsonToken item;
            while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                values.add(string(p, item, field + "." + name));
            }
            headers.put(name, Collections.unmodifiableList(values));
        }
        return Collections.unmodifiableMap(headers);
    }

    private TlsInfo tls(JsonParser p, JsonToken value) throws IOException {
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
                case "resumed" -> resumed = bool(token, "request.tls.resumed");
                case "version" -> version = integer(p, token, "request.tls.version");
                case "cipher_suite" -> cipherSuite = integer(p, token, "request.tls.cipher_suite");
                case "proto" -> proto = string(p, token, "request.tls.proto");
                case "server_name" -> serverName = string(p, token, "request.tls.server_name");
                case "client_common_name" -> clientCommonName = string(p, token, "request.tls.client_common_name");
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
        TraceContext trace = traceIds.resolve(line, 0, line.length, f.caddyTraceId, f.caddySpanId,
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

    private static String first(Map<String, List<String>> headers, String canonicalName) {
        List<String> values = headers.get(canonicalName);
        if (values == null) {
            for (Map.Entry<String, List<String>> header : headers.entrySet()) {
                if (header.getKey().equalsIgnoreCase(canonicalName)) {
                    values = header.getValue();
                    break;
                }
            }
        }
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String joined(Map<String, List<String>> headers, String canonicalName) {
        List<String> values = headers.get(canonicalName);
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** The fields of one line as they are read, in whatever order the line has them. */
    private static final class Fields {
        String logger;
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
