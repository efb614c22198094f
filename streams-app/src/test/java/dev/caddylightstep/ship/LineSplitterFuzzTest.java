package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.ThreadAllocations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipper's line splitter fed any bytes in any reads: it gives exactly the lines of the whole input cut at '\n'
 * (less a trailing '\r'), over-long ones as their length and first bytes, at their offsets, as soon as their newline is
 * read, holding no more than a line's worth of memory.
 *
 * <p>An input is four bytes of settings, then the bytes to split: max-line-bytes (one of {@link #MAX_LINE_BYTES}), the
 * seed of the reads' sizes, how many times each byte is repeated (so that a short input can make lines past the 8 KiB
 * buffer and the 16 KiB dead-letter prefix), and the offset the splitter starts at. The corpus
 * (LineSplitterFuzzTestInputs in the test resources) holds real Caddy lines, CRLF endings and over-long lines; issue 21's
 * line of 300 KB is made by a test below.
 */
class LineSplitterFuzzTest {
    private static final int[] MAX_LINE_BYTES = {1, 2, 3, 4, 8, 100, 1000, 8191, 8192, 16384, 16385, 20_000, 2 * 1024 * 1024};
    private static final int[] REPEATS = {1, 1, 1, 1, 2, 3, 1000, 8192, 16385};
    /** Inputs are stretched no further than this: a fuzzing run must stay fast. */
    private static final int MAX_STRETCHED = 256 * 1024;
    private static final int SETTINGS = 4;

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anyReadsOfAnyBytesGiveTheLinesOfTheWholeInput(byte[] input) {
        if (input.length < SETTINGS) {
            return;
        }
        int maxLineBytes = MAX_LINE_BYTES[Byte.toUnsignedInt(input[0]) % MAX_LINE_BYTES.length];
        SplittableRandom reads = new SplittableRandom(input[1]);
        long startOffset = (input[3] & 1) == 0 ? 0 : (1L << 40) + Byte.toUnsignedInt(input[3]);
        byte[] bytes = stretched(Arrays.copyOfRange(input, SETTINGS, input.length), REPEATS[Byte.toUnsignedInt(input[2]) % REPEATS.length]);
        splitAsTheWholeInput(bytes, maxLineBytes, reads, startOffset);
    }

    /**
     * Issue 21's line with a path of 150,000 segments (300 KB), then a real line, under the default max-line-bytes and under
     * a smaller one. Made here rather than stored, as a seed would have libFuzzer make inputs of up to 300 KB all along.
     */
    @Test
    void aLineWithAPathOf150000SegmentsIsCutWholeOrAsTooLong() {
        String refused = CaddyCapture.access(CaddyCapture.request("GET", "/admin/settings", 401));
        String longLine = CaddyCapture.withRequestField(refused, "uri", "/api/" + "a/".repeat(149_999) + "a");
        byte[] bytes = (longLine + "\n" + refused + "\r\n").getBytes(StandardCharsets.UTF_8);
        for (int seed = 0; seed < 4; seed++) {
            splitAsTheWholeInput(bytes, 2 * 1024 * 1024, new SplittableRandom(seed), 0);
            splitAsTheWholeInput(bytes, 196_608, new SplittableRandom(seed), 0);
        }
    }

    private static void splitAsTheWholeInput(byte[] bytes, int maxLineBytes, SplittableRandom reads, long startOffset) {
        List<Cut> expected = cut(bytes, maxLineBytes, startOffset);
        Recorded recorded = new Recorded();
        LineSplitter splitter = new LineSplitter(maxLineBytes, startOffset);
        int largestRead = switch (reads.nextInt(4)) {
            case 0 -> 1;
            case 1 -> 7;
            case 2 -> maxLineBytes + 2;
            default -> Math.max(1, bytes.length);
        };
        long allocated = 0;
        int fed = 0;
        int afterLastNewline = 0;
        int complete = 0;
        while (fed < bytes.length) {
            int length = Math.min(reads.nextInt(largestRead + 1), bytes.length - fed);
            // the read sits in a larger buffer between newlines: the splitter must look only at its part
            int at = reads.nextInt(3);
            byte[] buffer = new byte[at + length + 2];
            Arrays.fill(buffer, (byte) '\n');
            System.arraycopy(bytes, fed, buffer, at, length);
            int cutsBefore = recorded.cuts.size();
            long before = ThreadAllocations.current();
            recorded.allocated = 0;
            splitter.feed(buffer, at, length, recorded);
            allocated += ThreadAllocations.current() - before - recorded.allocated;
            for (int i = fed; i < fed + length; i++) {
                afterLastNewline = bytes[i] == '\n' ? i + 1 : afterLastNewline;
            }
            fed += length;
            // every line whose newline has been read is out, and no other
            while (complete < expected.size() && expected.get(complete).end() <= startOffset + afterLastNewline) {
                complete++;
            }
            boolean asExpected = recorded.cuts.size() == complete
                    && recorded.cuts.subList(cutsBefore, complete).equals(expected.subList(cutsBefore, complete))
                    && splitter.position() == startOffset + fed && splitter.lineStart() == startOffset + afterLastNewline
                    && splitter.midLine() == afterLastNewline < fed;
            // checked plainly first: reads of one byte make a quarter of a million checks, and assertions cost a hundred times more
            if (!asExpected) {
                assertThat(recorded.cuts).as("after %d bytes", fed).hasSize(complete);
                assertThat(recorded.cuts.subList(cutsBefore, complete)).isEqualTo(expected.subList(cutsBefore, complete));
                assertThat(splitter.position()).isEqualTo(startOffset + fed);
                assertThat(splitter.lineStart()).isEqualTo(startOffset + afterLastNewline);
                assertThat(splitter.midLine()).isEqualTo(afterLastNewline < fed);
            }
        }
        long before = ThreadAllocations.current();
        recorded.allocated = 0;
        splitter.finish(recorded);
        allocated += ThreadAllocations.current() - before - recorded.allocated;
        assertThat(recorded.cuts).isEqualTo(expected);
        // a line is held in one buffer that doubles up to max-line-bytes + 1 (room for a '\r' to drop): all of its arrays
        // together are less than three times that, whatever the number of lines
        assertThat(allocated).as("bytes allocated by the splitter").isLessThanOrEqualTo(3L * (maxLineBytes + 1) + 1024);
    }

    /** A line or an over-long line, as the splitter reports it. */
    private record Cut(boolean tooLong, String bytes, long length, long start, long end) {
        /** A finding prints a line by its length and ends: it can be 16 KiB. */
        @Override
        public String toString() {
            String shown = bytes.length() <= 40 ? bytes : bytes.substring(0, 20) + "…(" + bytes.length() + ")…" + bytes.substring(bytes.length() - 20);
            return (tooLong ? "tooLong[" : "line[") + shown.replace("\r", "\\r").replace("\n", "\\n") + ", length " + length + ", " + start + ".." + end + "]";
        }
    }

    /** The whole input cut at '\n', a trailing '\r' dropped, empty lines skipped, the last line even without its newline. */
    private static List<Cut> cut(byte[] bytes, int maxLineBytes, long startOffset) {
        List<Cut> cuts = new ArrayList<>();
        int start = 0;
        while (start < bytes.length) {
            int newline = start;
            while (newline < bytes.length && bytes[newline] != '\n') {
                newline++;
            }
            int end = newline;
            if (end > start && bytes[end - 1] == '\r') {
                end--;
            }
            int length = end - start;
            long after = startOffset + Math.min(newline + 1, bytes.length);
            if (length > maxLineBytes) {
                int prefix = Math.min(maxLineBytes, LineSplitter.DEAD_LETTER_PREFIX);
                cuts.add(new Cut(true, latin1(bytes, start, prefix), length, startOffset + start, after));
            } else if (length > 0) {
                cuts.add(new Cut(false, latin1(bytes, start, length), length, startOffset + start, after));
            }
            start = newline + 1;
        }
        return cuts;
    }

    private static byte[] stretched(byte[] bytes, int repeats) {
        int times = Math.max(1, Math.min(repeats, MAX_STRETCHED / Math.max(1, bytes.length)));
        byte[] out = new byte[bytes.length * times];
        for (int i = 0; i < bytes.length; i++) {
            Arrays.fill(out, i * times, (i + 1) * times, bytes[i]);
        }
        return out;
    }

    /** Bytes as a String one char each: comparable, and printed readably when a finding is reported. */
    private static String latin1(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    private static final class Recorded implements LineSplitter.Lines {
        final List<Cut> cuts = new ArrayList<>();
        /** What recording took, which is not the splitter's. */
        long allocated;

        @Override
        public void line(byte[] buffer, int offset, int length, long start, long end) {
            long before = ThreadAllocations.current();
            cuts.add(new Cut(false, latin1(buffer, offset, length), length, start, end));
            allocated += ThreadAllocations.current() - before;
        }

        @Override
        public void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
            long before = ThreadAllocations.current();
            cuts.add(new Cut(true, latin1(buffer, offset, prefixLength), length, start, end));
            allocated += ThreadAllocations.current() - before;
        }
    }
}
