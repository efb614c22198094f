package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.ThreadAllocations;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The parser against whatever bytes a line can hold: it always answers with an outcome, a sound request, another
 * logger's line or a rejection with its reason, the outcome Jackson alone gives, and its work is bounded by the line's
 * length. The corpus
 * (CaddyLogParserFuzzTestInputs in the test resources) holds real Caddy 2.6.2 lines, the hostile corpus and the lines
 * of issue 21 but two made by the tests below; {@code JAZZER_FUZZ=1} mutates them (see streams-app/README.md).
 */
class CaddyLogParserFuzzTest {
    /** Reads the headers a pipeline with an identity header and captured headers reads, so that those paths are fuzzed too. */
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of("X-Api-Key"),
            new CapturedHeaders(Set.of("Accept", "Content-Type"), Set.of("Content-Type", "Server")));
    /** Jackson's error messages quote at most a few hundred characters of a line; a detail is a sentence, never the line. */
    private static final int MAX_DETAIL_CHARS = 2_000;
    /**
     * Bytes the parser may allocate per byte of line, and for any line: it copies a line at most a few times (repairing
     * invalid UTF-8 takes a String and its bytes), and Jackson's buffers are recycled. Measured on the corpus: 3.8 bytes
     * per byte for the 300 KB line, at most 17 KiB for short lines. A number expanded to a billion digits took gigabytes.
     */
    private static final long ALLOCATED_PER_BYTE = 32;
    private static final long ALLOCATED_ANY_LINE = 256 * 1024;
    /**
     * When fuzzing, Jazzer's hooks copy both sides of every string comparison they trace into this thread's heap (JFR: all
     * in TraceDataFlowNativeCallbacks, from 600 bytes to 7 KiB per byte of line), which no bound on the parser can tell
     * apart: allocations are then left to the heap (-Xmx) and the 10 s per input, and checked in regression runs, over the
     * corpus and every finding added to it.
     */
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyLineIsParsedSoundlyOrRejectedWithAReason(byte[] line) {
        parsedSoundly(line);
    }

    /**
     * Issue 21's anonymous GET /api/ and 150,000 segments (300 KB). Made here rather than stored: as a seed it would have
     * libFuzzer make inputs of up to 300 KB all along (Jazzer turns off its -len_control), a tenth of the executions.
     */
    @Test
    void aPathOf150000SegmentsIsParsedWhole() {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        byte[] line = CaddyCapture.withRequestField(CaddyCapture.access(CaddyCapture.request("GET", "/admin/settings", 401)), "uri", path)
                .getBytes(StandardCharsets.UTF_8);
        assertThat(parsedSoundly(line)).isInstanceOfSatisfying(ParseOutcome.Parsed.class,
                parsed -> assertThat(parsed.event().path()).isEqualTo(path));
    }

    /** Longer than max-line-bytes (2 MiB): made here rather than stored, a real line padded in its URI. */
    @Test
    void aLineOverMaxLineBytesIsRejectedAsTooLongUnread() {
        String health = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        byte[] line = health.replace("\"uri\":\"/health\"", "\"uri\":\"/health?" + "q".repeat(LogFormat.CADDY_DEFAULT.maxLineBytes()) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(parsedSoundly(line)).isInstanceOfSatisfying(ParseOutcome.Rejected.class,
                rejected -> assertThat(rejected.reason()).isEqualTo(DeadLetterReason.LINE_TOO_LONG));
    }

    private static ParseOutcome parsedSoundly(byte[] line) {
        ParseOutcome outcome = FUZZING ? PARSER.parse(line) : parsedWithinBoundedAllocation(line);
        assertThat(outcome).isNotNull();
        if (line.length > 0 && line.length <= PARSER.maxLineBytes()) {
            // whether the scanner of plain lines read it or gave it up, the line is answered as Jackson alone answers it
            assertThat(outcome).isEqualTo(PARSER.parseWithJackson(line));
        }
        if (outcome instanceof ParseOutcome.Rejected rejected) {
            assertThat(rejected.reason()).isNotNull();
            assertThat(rejected.detail()).isNotBlank().hasSizeLessThan(MAX_DETAIL_CHARS);
        } else if (outcome instanceof ParseOutcome.NotAccess other) {
            assertThat(other.logger()).doesNotStartWith("http.log.access").hasSizeLessThanOrEqualTo(line.length);
        } else {
            soundRequest(((ParseOutcome.Parsed) outcome).event(), line);
        }
        return outcome;
    }

    private static ParseOutcome parsedWithinBoundedAllocation(byte[] line) {
        // the first line of a kind loads (and Jazzer instruments) classes on this thread: the parse after it is measured
        PARSER.parse(line);
        long before = ThreadAllocations.current();
        ParseOutcome outcome = PARSER.parse(line);
        long allocated = ThreadAllocations.current() - before;
        assertThat(allocated).as("bytes allocated to parse a line of %d", line.length)
                .isLessThanOrEqualTo(ALLOCATED_PER_BYTE * line.length + ALLOCATED_ANY_LINE);
        return outcome;
    }

    private static void soundRequest(AccessEvent event, byte[] line) {
        assertThat(event.status()).isBetween(100, 999);
        assertThat(event.durationNanos()).isNotNegative();
        assertThat(event.endEpochNanos()).isGreaterThanOrEqualTo(event.startEpochNanos());
        assertThat(event.size()).isNotNegative();
        assertThat(event.method()).matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");
        // a character of a field is at least one byte of the line (an escape is several, an invalid byte one U+FFFD)
        for (String field : new String[] {event.logger(), event.host(), event.path(), event.scheme(), event.protocol(), event.remoteIp(),
                event.clientIp(), event.userId(), event.userAgent(), event.trace().traceState()}) {
            if (field != null) {
                assertThat(field.length()).isLessThanOrEqualTo(line.length);
            }
        }
        headersWithin(event.requestHeaders(), line.length);
        headersWithin(event.responseHeaders(), line.length);
        // except where a secret query value, one character or more, became REDACTED
        long redactions = occurrences(event.uri(), Redaction.REDACTED);
        assertThat((long) event.uri().length()).isLessThanOrEqualTo(line.length + 7 * redactions);
        if (event.query() != null) {
            assertThat((long) event.query().length()).isLessThanOrEqualTo(line.length + 7 * redactions);
        }
        // the span encoder writes ids as bytes: they must be the hex W3C Trace Context allows
        assertThat(event.trace().traceId()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
        assertThat(event.trace().spanId()).matches("[0-9a-f]{16}").isNotEqualTo("0".repeat(16));
        if (event.trace().parentSpanId() != null) {
            assertThat(event.trace().parentSpanId()).matches("[0-9a-f]{16}").isNotEqualTo("0".repeat(16));
        }
    }

    private static void headersWithin(Map<String, List<String>> headers, int lineLength) {
        headers.forEach((name, values) -> {
            assertThat(name.length()).isLessThanOrEqualTo(lineLength);
            values.forEach(value -> assertThat(value.length()).isLessThanOrEqualTo(lineLength));
        });
    }

    private static long occurrences(String s, String part) {
        long count = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
