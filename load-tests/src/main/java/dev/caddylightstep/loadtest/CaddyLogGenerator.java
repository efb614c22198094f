package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

import java.io.IOException;
import java.io.OutputStream;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * A deterministic source of Caddy 2.6.2 JSON access-log lines: the same {@link GeneratorSettings} give the same
 * bytes, line for line, and {@link #counts()} says what was produced so that a benchmark knows what to expect.
 * Not thread-safe: one per producing thread.
 */
public final class CaddyLogGenerator {
    private static final LineKind[] MALFORMED_KINDS =
            {LineKind.TRUNCATED, LineKind.NOT_JSON, LineKind.MISSING_METHOD, LineKind.STATUS_AS_STRING, LineKind.NEGATIVE_DURATION};
    /** What lands in a log file that someone switched to {@code format console}, or that a crashing Caddy wrote. */
    private static final byte[] CONSOLE_ENTRY = utf8("\tINFO\thttp.log.access.log0\thandled request\t{\"request\": {\"remote_ip\": "
            + "\"10.0.4.1\", \"remote_port\": \"40522\", \"proto\": \"HTTP/1.1\", \"method\": \"GET\", \"host\": \"10.0.4.12:8080\", "
            + "\"uri\": \"/health\", \"headers\": {\"User-Agent\": [\"kube-probe/1.28\"]}}, \"user_id\": \"\", \"duration\": 0.000031, "
            + "\"size\": 2, \"status\": 200, \"resp_headers\": {\"Server\": [\"Caddy\"]}}");
    private static final byte[][] CRASH_OUTPUT = {
        utf8("panic: runtime error: invalid memory address or nil pointer dereference"),
        // not Go's "[signal SIGSEGV ...]" line: it starts like a JSON array, and parsers call it that, not "not JSON"
        utf8("fatal error: concurrent map writes"),
        utf8("goroutine 1 [running]:")};
    private static final byte NEWLINE = '\n';

    private final GeneratorSettings settings;
    private final Sampling sampling;
    private final SiteTraffic site;
    private final SiteHeaders headers;
    private final AccessLineEncoder encoder;
    private final OtherLoggerLines otherLoggerLines;
    private final LineBuffer line = new LineBuffer(2_048);
    private final double meanGapNanos;
    private final long[] linesByKind = new long[LineKind.values().length];
    private final long[] accessByStatus = new long[1_000];
    private final long[] accessByUser = new long[BasicAuthUsers.KNOWN.size()];
    private long anonymous;
    private long unknownUser;
    private long withTraceparent;
    private long overTls;
    private long nextEpochNanos;
    /** The slow spell, if any, as the hot path reads it: an empty span of time when there is none. */
    private final boolean[] slowUsers;
    private final long slowFromNanos;
    private final long slowUntilNanos;
    private final long slowByNanos;
    private LineKind lastKind;

    public CaddyLogGenerator(GeneratorSettings settings) {
        this.settings = settings;
        this.sampling = new Sampling(settings.seed());
        this.site = new SiteTraffic(settings.mix(), sampling, settings.authWarm());
        this.headers = new SiteHeaders(settings.mix(), sampling);
        this.encoder = new AccessLineEncoder(sampling);
        this.otherLoggerLines = new OtherLoggerLines(sampling);
        this.meanGapNanos = 1e9 / settings.linesPerSecond();
        this.nextEpochNanos = Math.addExact(Math.multiplyExact(settings.start().getEpochSecond(), 1_000_000_000L),
                settings.start().getNano());
        SlowSpell spell = settings.slowSpell();
        this.slowUsers = spell == null ? new boolean[BasicAuthUsers.KNOWN.size()] : spell.slowUsers();
        this.slowFromNanos = spell == null ? 0 : spell.fromEpochNanos();
        this.slowUntilNanos = spell == null ? 0 : spell.untilEpochNanos();
        this.slowByNanos = spell == null ? 0 : spell.slowerThan().toNanos();
    }

    public GeneratorSettings settings() {
        return settings;
    }

    /** The next line, without a line terminator, in a new array (a Kafka record value can keep it). */
    public byte[] nextLine() {
        generate();
        return line.toByteArray();
    }

    /** Writes the next {@code count} lines, each followed by {@code '\n'}, without an array per line. */
    public void writeLines(OutputStream out, long count) throws IOException {
        for (long i = 0; i < count; i++) {
            generate();
            line.writeTo(out);
            out.write(NEWLINE);
        }
    }

    /** Writes lines, each followed by {@code '\n'}, until the next would be logged at or after {@code endEpochNanos}. */
    public void writeLinesUntil(OutputStream out, long endEpochNanos) throws IOException {
        while (nextEpochNanos < endEpochNanos) {
            generate();
            line.writeTo(out);
            out.write(NEWLINE);
        }
    }

    /** The next {@code count} lines, in order, each as {@link #nextLine()} returns it. Sequential only. */
    public Stream<byte[]> lines(long count) {
        return LongStream.range(0, count).mapToObj(i -> nextLine());
    }

    /** What the line last returned or written is. */
    public LineKind lastKind() {
        return lastKind;
    }

    /** The log time of the next line, in nanoseconds since the epoch. */
    public long nextEpochNanos() {
        return nextEpochNanos;
    }

    public GeneratedCounts counts() {
        Map<LineKind, Long> kinds = new EnumMap<>(LineKind.class);
        for (LineKind kind : LineKind.values()) {
            kinds.put(kind, linesByKind[kind.ordinal()]);
        }
        Map<Integer, Long> statuses = new TreeMap<>();
        for (int status = 0; status < accessByStatus.length; status++) {
            if (accessByStatus[status] > 0) {
                statuses.put(status, accessByStatus[status]);
            }
        }
        Map<String, Long> users = new LinkedHashMap<>();
        List<String> known = BasicAuthUsers.KNOWN;
        for (int i = 0; i < known.size(); i++) {
            users.put(known.get(i), accessByUser[i]);
        }
        return new GeneratedCounts(kinds, statuses, users, anonymous, unknownUser, withTraceparent, overTls);
    }

    private void generate() {
        long epochNanos = nextEpochNanos;
        nextEpochNanos += Math.max(1, Math.round(sampling.exponential(meanGapNanos)));
        line.clear();
        double pick = sampling.random().nextDouble();
        if (pick < settings.malformedShare()) {
            lastKind = MALFORMED_KINDS[sampling.below(MALFORMED_KINDS.length)];
            writeMalformed(epochNanos);
        } else if (pick < settings.malformedShare() + settings.nonAccessShare()) {
            lastKind = LineKind.NON_ACCESS;
            otherLoggerLines.write(line, epochNanos);
        } else {
            lastKind = LineKind.ACCESS;
            writeAccess(epochNanos, LineKind.ACCESS);
            countAccess();
        }
        linesByKind[lastKind.ordinal()]++;
    }

    private void writeMalformed(long epochNanos) {
        switch (lastKind) {
            case NOT_JSON -> writeNotJson(epochNanos);
            case TRUNCATED -> {
                writeAccess(epochNanos, LineKind.ACCESS);
                truncate();
            }
            default -> writeAccess(epochNanos, lastKind);
        }
    }

    private void writeAccess(long epochNanos, LineKind kind) {
        // the three draw from one Sampling: this order of their draws is what gives a seed its bytes
        site.drawNext();
        if (epochNanos >= slowFromNanos && epochNanos < slowUntilNanos && site.userIndex() >= 0 && slowUsers[site.userIndex()]) {
            site.slowDown(slowByNanos);
        }
        headers.draw(site, epochNanos);
        encoder.write(line, site, headers, epochNanos, kind);
    }

    /** Cuts the line short, as a crash mid-write does, but between characters so that it stays UTF-8. */
    private void truncate() {
        int cut = line.length() / 4 + sampling.below(line.length() * 3 / 4 - 1);
        while ((line.byteAt(cut) & 0xC0) == 0x80) {
            cut--;
        }
        line.truncate(cut);
    }

    private void writeNotJson(long epochNanos) {
        if (sampling.chance(0.5)) {
            line.append(CRASH_OUTPUT[sampling.below(CRASH_OUTPUT.length)]);
            return;
        }
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L),
                (int) Math.floorMod(epochNanos, 1_000_000_000L), ZoneOffset.UTC);
        line.appendZeroPadded(t.getYear(), 4).append('/').appendZeroPadded(t.getMonthValue(), 2).append('/')
                .appendZeroPadded(t.getDayOfMonth(), 2).append(' ').appendZeroPadded(t.getHour(), 2).append(':')
                .appendZeroPadded(t.getMinute(), 2).append(':').appendZeroPadded(t.getSecond(), 2).append('.')
                .appendZeroPadded(t.getNano() / 1_000_000, 3).append(CONSOLE_ENTRY);
    }

    private void countAccess() {
        accessByStatus[site.status()]++;
        switch (site.client()) {
            case AUTHENTICATED -> accessByUser[site.userIndex()]++;
            case ANONYMOUS -> anonymous++;
            case UNKNOWN_USER -> unknownUser++;
        }
        if (headers.withTraceparent()) {
            withTraceparent++;
        }
        if (site.overTls()) {
            overTls++;
        }
    }
}
