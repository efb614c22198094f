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
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parses one line of Caddy's JSON log, streaming (no tree per line): lines as Caddy writes them with a scanner of
 * their bytes ({@link AsciiLineTokens}), any other with Jackson's parser. Not thread-safe: each stream task makes its own.
 */
public final class CaddyLogParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();

    private final LogFormat format;
    private final Redaction redaction;
    private final CaddyLineReader reader;
    private final AsciiLineTokens ascii;

    /**
     * @param extraHeaders request headers a stage reads (an identity header), kept on the request
     * @param captured headers recorded on spans, kept on the request; a line's other headers (most of its bytes) are
     *        skipped, not decoded, but for the few the parser reads itself ({@link ReadHeader})
     */
    public CaddyLogParser(LogFormat format, Redaction redaction, Set<String> extraHeaders, CapturedHeaders captured) {
        this.format = format;
        this.redaction = redaction;
        Set<String> request = new HashSet<>(extraHeaders);
        request.addAll(captured.request());
        EnumSet<ReadHeader> read = EnumSet.allOf(ReadHeader.class);
        read.removeIf(header -> redaction.dropsHeader(header.header));
        this.reader = new CaddyLineReader(format, read, kept(request, redaction), kept(captured.response(), redaction));
        this.ascii = new AsciiLineTokens(reader.fieldNames());
    }

    private static Set<String> kept(Set<String> names, Redaction redaction) {
        TreeSet<String> kept = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        kept.addAll(names);
        kept.removeIf(redaction::dropsHeader);
        return Collections.unmodifiableSet(kept);
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
        ParseOutcome plain = parsePlain(line);
        return plain != null ? plain : parseWithJackson(line);
    }

    /**
     * A line as Caddy writes it, read by {@link AsciiLineTokens}: null for any other (the scanner gave up), and for a
     * line refused, so that Jackson reads it from the start and answers for it exactly as it would have alone.
     */
    private ParseOutcome parsePlain(byte[] line) {
        try {
            ParseOutcome outcome = parse(ascii.reset(line), line);
            return outcome instanceof ParseOutcome.Rejected ? null : outcome;
        } catch (RuntimeException | IOException e) {
            // NotPlain, InvalidField or a fault of the scanner's own: none may cost the line more than a second reading
            return null;
        }
    }

    /** The outcome of a line, not empty nor too long, read by Jackson alone: every line {@link AsciiLineTokens} does not read. */
    ParseOutcome parseWithJackson(byte[] line) {
        try (JsonParser p = JSON.createParser(line)) {
            return parse(new JacksonLineTokens(p, reader.fieldNames()), line);
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
            return parse(new JacksonLineTokens(p, reader.fieldNames()), line);
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

    private ParseOutcome parse(LineTokens p, byte[] line) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_JSON, "blank line");
        }
        if (first != JsonToken.START_OBJECT) {
            return new ParseOutcome.Rejected(DeadLetterReason.NOT_AN_OBJECT, "a JSON " + CaddyLineReader.describe(first) + ", not an object");
        }
        LineFields f = reader.readObject(p);
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

    private AccessEvent toEvent(LineFields f, byte[] line) {
        if (!f.hasRequest) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "no request object");
        }
        require(f.method != null, LineField.METHOD);
        require(f.uri != null, LineField.URI);
        require(f.claimed(LineField.TS), LineField.TS);
        require(f.claimed(LineField.DURATION), LineField.DURATION);
        require(f.hasStatus, LineField.STATUS);
        if (!isToken(f.method)) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, LineField.METHOD.path + " '" + LogTimes.abbreviate(f.method) + "' is not an HTTP method");
        }
        if (f.uri.isEmpty()) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, LineField.URI.path + " is empty");
        }
        int status = f.status;
        // Go's net/http writes no other status (WriteHeader panics); Caddy logs 0 when no handler wrote one
        if (status != 0 && (status < 100 || status > 999)) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "status " + status + " is not an HTTP status");
        }
        // a start before 1970 is no time Caddy logs, and OTLP's unsigned nanoseconds would read it as centuries after the end
        if (f.durationNanos > f.endEpochNanos) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "duration " + f.durationNanos + " ns is longer than the time since 1970 of ts");
        }
        if (f.size < 0) {
            throw new InvalidField(DeadLetterReason.INVALID_VALUE, "negative size " + f.size);
        }
        RequestTarget target = RequestTarget.split(f.uri);
        String query = redaction.redactQuery(target.query());
        String uri = query == target.query() ? f.uri : f.uri.substring(0, f.uri.length() - target.query().length()) + query;
        ServerTiming serverTiming = f.serverTiming == null ? ServerTiming.NONE : ServerTiming.parse(f.serverTiming);
        TraceContext trace = TraceIds.resolve(line, 0, line.length, f.caddyTraceId, f.caddySpanId, first(f.traceparent), joined(f.tracestate));
        return new AccessEvent(
                f.endEpochNanos,
                f.durationNanos,
                f.logger,
                f.method,
                f.host == null ? "" : f.host,
                uri,
                target.path(),
                query,
                f.hasTls ? "https" : "http",
                f.protocol == null ? "" : f.protocol,
                f.remoteIp == null ? "" : f.remoteIp,
                f.remotePort,
                emptyToNull(f.clientIp),
                // Caddy logs 0 when no handler wrote anything, and Go then sends an empty 200
                status == 0 ? 200 : status,
                f.size,
                f.bytesRead,
                f.userId == null ? "" : f.userId,
                first(f.userAgent),
                f.requestHeaders == null ? Map.of() : f.requestHeaders,
                f.responseHeaders == null ? Map.of() : f.responseHeaders,
                f.hasTls ? new TlsInfo(f.tlsResumed, f.tlsVersion, f.tlsCipherSuite, emptyToNull(f.tlsProto), emptyToNull(f.tlsServerName),
                        emptyToNull(f.tlsClientCommonName)) : null,
                trace,
                UpstreamTiming.of(f.upstreamDurationMs, f.upstreamLatencyMs, emptyToNull(f.upstreamAddr), serverTiming, f.durationNanos),
                serverTiming);
    }

    private static void require(boolean read, LineField field) {
        if (!read) {
            throw new InvalidField(DeadLetterReason.MISSING_FIELD, "missing field " + field.path);
        }
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

    /** The first value of a header, or null. */
    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String joined(List<String> values) {
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
