package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting bytes into lines, and reading a line's time and key, on real Caddy lines. */
class ShipLinesTest {
    private static final long NOW = Instant.parse("2026-11-25T01:00:00Z").toEpochMilli();
    /** caddy.log.max-clock-skew's default. */
    private static final Duration SKEW = Duration.ofMinutes(5);

    @Test
    void linesCutByEveryPossibleReadComeOutWholeWithTheirOffsets() {
        List<String> lines = CaddyCapture.lines("access.log").subList(0, 40);
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        for (int chunk : new int[] {1, 7, 100, 4096, bytes.length}) {
            Collected collected = new Collected();
            LineSplitter splitter = new LineSplitter(1 << 20, 0);
            for (int at = 0; at < bytes.length; at += chunk) {
                splitter.feed(bytes, at, Math.min(chunk, bytes.length - at), collected);
            }
            assertThat(collected.lines).as("reads of %d bytes", chunk).containsExactlyElementsOf(lines);
            long offset = 0;
            for (int i = 0; i < lines.size(); i++) {
                assertThat(collected.starts.get(i)).isEqualTo(offset);
                offset += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
            }
            assertThat(splitter.position()).isEqualTo(bytes.length);
        }
    }

    @Test
    void anOverLongLineKeepsOnlyItsPrefixAndTheNextLineIsIntact() {
        String longLine = CaddyCapture.lines("access.log").get(380);
        String next = CaddyCapture.lines("access.log").get(0);
        byte[] bytes = (longLine + "\n" + next + "\n").getBytes(StandardCharsets.UTF_8);
        Collected collected = new Collected();
        LineSplitter splitter = new LineSplitter(1000, 0);
        for (int at = 0; at < bytes.length; at += 300) {
            splitter.feed(bytes, at, Math.min(300, bytes.length - at), collected);
        }
        assertThat(collected.tooLong).containsExactly(longLine.substring(0, 1000));
        assertThat(collected.tooLongLengths).containsExactly((long) longLine.length());
        assertThat(collected.lines).containsExactly(next);
        assertThat(collected.starts).containsExactly((long) longLine.length() + 1);
    }

    /**
     * Found by LineSplitterFuzzTest: the '\r' of a CRLF ending was dropped only from a line that came in one read, so a
     * line of exactly max-line-bytes cut before its '\r' was dead-lettered as too long, and an over-long line's length
     * counted its '\r' or not depending on the reads.
     */
    @Test
    void aLineOfMaxLineBytesEndingInCrLfIsALineHoweverItIsRead() {
        String line = CaddyCapture.lines("access.log").get(0);
        byte[] bytes = (line + "\r\n").getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            Collected collected = new Collected();
            LineSplitter splitter = new LineSplitter(line.length(), 0);
            splitter.feed(bytes, 0, cut, collected);
            splitter.feed(bytes, cut, bytes.length - cut, collected);
            assertThat(collected.lines).as("read in two at %d", cut).containsExactly(line);
        }
    }

    @Test
    void anOverLongLineEndingInCrLfHasItsLengthWithoutTheCrHoweverItIsRead() {
        String line = CaddyCapture.lines("access.log").get(0);
        byte[] bytes = (line + "\r\n").getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            Collected collected = new Collected();
            LineSplitter splitter = new LineSplitter(line.length() - 1, 0);
            splitter.feed(bytes, 0, cut, collected);
            splitter.feed(bytes, cut, bytes.length - cut, collected);
            assertThat(collected.tooLongLengths).as("read in two at %d", cut).containsExactly((long) line.length());
        }
    }

    /** Found by LineSplitterFuzzTest in the fix above: a line held whole up to its first '\r' lost a second one too. */
    @Test
    void onlyTheLastCarriageReturnBeforeTheNewlineIsDroppedHoweverTheLineIsRead() {
        String line = CaddyCapture.lines("access.log").get(0);
        byte[] bytes = (line + "\r\r\n").getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            Collected collected = new Collected();
            LineSplitter splitter = new LineSplitter(line.length(), 0);
            splitter.feed(bytes, 0, cut, collected);
            splitter.feed(bytes, cut, bytes.length - cut, collected);
            assertThat(collected.lines).as("read in two at %d", cut).isEmpty();
            assertThat(collected.tooLongLengths).as("read in two at %d", cut).containsExactly(line.length() + 1L);
        }
    }

    @Test
    void aLastLineWithoutNewlineWaitsUntilTheFileIsFinished() {
        String line = CaddyCapture.lines("access.log").get(0);
        Collected collected = new Collected();
        LineSplitter splitter = new LineSplitter(1 << 20, 0);
        splitter.feed(line.getBytes(StandardCharsets.UTF_8), 0, line.length(), collected);
        assertThat(collected.lines).isEmpty();
        splitter.finish(collected);
        assertThat(collected.lines).containsExactly(line);
    }

    @Test
    void caddysDefaultTimeIsUnixSecondsWithAFraction() {
        String line = CaddyCapture.lines("access.log").get(0);
        long expected = new BigDecimal(CaddyCapture.tree(line).get("ts").asText()).movePointRight(3).longValue();
        assertThat(time(line)).isEqualTo(expected);
    }

    @Test
    void rfc3339NanoTimeIsRead() {
        String line = CaddyCapture.lines("netlog.ndjson").get(0);
        assertThat(time(line)).isEqualTo(Instant.parse(CaddyCapture.tree(line).get("ts").asText()).toEpochMilli());
    }

    @Test
    void unixMillisAndNanosAreToldApartByMagnitude() {
        // time_format unix_milli_float and unix_nano, derived from a real line
        String line = CaddyCapture.lines("access.log").get(0);
        long expected = new BigDecimal(CaddyCapture.tree(line).get("ts").asText()).movePointRight(3).longValue();
        assertThat(time(CaddyCapture.withField(line, "ts", new BigDecimal(expected).add(new BigDecimal("0.25"))))).isEqualTo(expected);
        assertThat(time(CaddyCapture.withField(line, "ts", expected * 1_000_000L + 123_456))).isEqualTo(expected);
        assertThat(time(CaddyCapture.withField(line, "ts", "2026-11-25T00:36:06.166+0000"))).isEqualTo(Instant.parse("2026-11-25T00:36:06.166Z").toEpochMilli());
    }

    @Test
    void aLineWithoutAUsableTimeGetsTheCurrentTime() {
        String line = CaddyCapture.lines("access.log").get(0);
        assertThat(time("not json at all")).isEqualTo(NOW);
        assertThat(time(CaddyCapture.withField(line, "ts", "yesterday"))).isEqualTo(NOW);
        // further ahead than the broker accepts (log.message.timestamp.after.max.ms, 1 h by default)
        assertThat(time(CaddyCapture.withField(line, "ts", (NOW + 2 * 3_600_000L) / 1000))).isEqualTo(NOW);
    }

    @Test
    void aLineFurtherAheadThanTheClockSkewGetsTheShippersClock() {
        // a broker whose clock is a minute behind the shipper's refuses a CreateTime 59 minutes ahead of the shipper's
        String line = CaddyCapture.lines("access.log").get(0);
        String later = CaddyCapture.withField(line, "ts", new BigDecimal(NOW + 59 * 60_000L).movePointLeft(3));
        assertThat(time(later, SKEW)).isEqualTo(NOW);
        assertThat(time(later, Duration.ofHours(1))).isEqualTo(NOW + 59 * 60_000L);
    }

    @Test
    void aLineAheadOfTheClockWithinTheSkewKeepsItsTime() {
        String line = CaddyCapture.lines("access.log").get(0);
        long fourMinutesAhead = NOW + 4 * 60_000L;
        assertThat(time(CaddyCapture.withField(line, "ts", new BigDecimal(fourMinutesAhead).movePointLeft(3)), SKEW)).isEqualTo(fourMinutesAhead);
        assertThat(time(CaddyCapture.withField(line, "ts", new BigDecimal(NOW + SKEW.toMillis()).movePointLeft(3)), SKEW))
                .isEqualTo(NOW + SKEW.toMillis());
    }

    @Test
    void theKeyFieldIsADottedPath() {
        String line = CaddyCapture.lines("access.log").get(0);
        assertThat(key(line, "request.host")).isEqualTo(CaddyCapture.tree(line).path("request").path("host").asText());
        assertThat(key(line, "status")).isEqualTo(CaddyCapture.tree(line).path("status").asText());
        assertThat(key(line, "request.nothing")).isNull();
        assertThat(key(line, "request")).isNull();
    }

    private static long time(String line) {
        return time(line, SKEW);
    }

    private static long time(String line, Duration maxClockSkew) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return LineFields.read(bytes, 0, bytes.length, null, NOW, maxClockSkew.toMillis()).timestampMs();
    }

    private static String key(String line, String field) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        byte[] key = LineFields.read(bytes, 0, bytes.length, LineFields.keyPath(field), NOW, SKEW.toMillis()).key();
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    private static final class Collected implements LineSplitter.Lines {
        final List<String> lines = new ArrayList<>();
        final List<Long> starts = new ArrayList<>();
        final List<String> tooLong = new ArrayList<>();
        final List<Long> tooLongLengths = new ArrayList<>();

        @Override
        public void line(byte[] buffer, int offset, int length, long start, long end) {
            lines.add(new String(buffer, offset, length, StandardCharsets.UTF_8));
            starts.add(start);
        }

        @Override
        public void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
            tooLong.add(new String(buffer, offset, prefixLength, StandardCharsets.UTF_8));
            tooLongLengths.add(length);
        }
    }
}
