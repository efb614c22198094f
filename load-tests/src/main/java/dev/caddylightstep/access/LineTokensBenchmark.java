package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonToken;
import dev.caddylightstep.loadtest.InMemoryStages;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What going through a line a token at a time costs, and nothing else, on the 1,024 generated access lines the other
 * micro-benchmarks use (82 tokens each): {@code scannerTokens} is the scanner the parser reads Caddy's lines with, every
 * token and no value decoded; {@code tokenFloor} the least a token loop can do, a yardstick and no parser: strings'
 * ends found eight bytes at a time, nothing checked, not even that the line is JSON. Issue 27 asks parse and enrich
 * together for 500,000 lines/s, 2 µs a line: the floor says how much of it a reader that goes token by token spends
 * before it reads a single field. In this package because the scanner is package-private in streams-app.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class LineTokensBenchmark {
    private static final int SIZE = 1_024;
    private byte[][] lines;
    private final AsciiLineTokens scanner = new AsciiLineTokens(FieldName.byName(LogFormat.CADDY_DEFAULT.userIdField()));
    private final TokenFloor floor = new TokenFloor();
    private int next;

    @Setup
    public void setUp() {
        lines = InMemoryStages.accessLines(1, SIZE).toArray(byte[][]::new);
    }

    @Benchmark
    public int scannerTokens() {
        AsciiLineTokens tokens = scanner.reset(lines[next++ & (SIZE - 1)]);
        int count = 0;
        for (JsonToken token = tokens.nextToken(); token != null; token = tokens.nextToken()) {
            count++;
        }
        return count;
    }

    @Benchmark
    public int tokenFloor() {
        TokenFloor tokens = floor.reset(lines[next++ & (SIZE - 1)]);
        int count = 0;
        while (tokens.next()) {
            count++;
        }
        return count;
    }

    /**
     * The tokens of a well-formed JSON line with no whitespace, by the same walk as the scanner's (a state for what
     * comes next, containers on a bit stack) and none of its checks.
     */
    private static final class TokenFloor {
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final long ONES = 0x0101010101010101L;
        private static final long HIGH_BITS = 0x8080808080808080L;
        private static final long QUOTES = ONES * '"';
        private static final long BACKSLASHES = ONES * '\\';
        private byte[] line;
        private int pos;
        private int depth;
        private long objects;
        private boolean first;
        private boolean afterName;

        TokenFloor reset(byte[] line) {
            this.line = line;
            pos = 0;
            depth = 0;
            first = true;
            afterName = false;
            return this;
        }

        boolean next() {
            int i = pos;
            if (afterName) {
                afterName = false;
                return value(i);
            }
            if (i >= line.length) {
                return false;
            }
            if (depth == 0) {
                return value(i);
            }
            byte b = line[i];
            if (b == '}' || b == ']') {
                pos = i + 1;
                depth--;
                first = false;
                return true;
            }
            if (!first) {
                i++;
            }
            first = false;
            if ((objects & (1L << depth)) != 0) {
                // the name, its closing quote and the colon
                pos = stringEnd(i + 1) + 2;
                afterName = true;
                return true;
            }
            return value(i);
        }

        private boolean value(int i) {
            byte b = line[i];
            if (b == '"') {
                pos = stringEnd(i + 1) + 1;
            } else if (b == '{' || b == '[') {
                depth++;
                objects = b == '{' ? objects | (1L << depth) : objects & ~(1L << depth);
                first = true;
                pos = i + 1;
            } else {
                // a number or a literal: up to the next delimiter
                int end = i + 1;
                while (end < line.length && line[end] != ',' && line[end] != '}' && line[end] != ']') {
                    end++;
                }
                pos = end;
            }
            return true;
        }

        private int stringEnd(int from) {
            int i = from;
            for (; i <= line.length - Long.BYTES; i += Long.BYTES) {
                long v = (long) LONGS.get(line, i);
                long quotes = v ^ QUOTES;
                long backslashes = v ^ BACKSLASHES;
                long flags = ((quotes - ONES) & ~quotes | (backslashes - ONES) & ~backslashes) & HIGH_BITS;
                if (flags != 0) {
                    int at = i + (Long.numberOfTrailingZeros(flags) >>> 3);
                    if (line[at] == '"') {
                        return at;
                    }
                    // past the escape: the loop's step brings i to the byte after the escaped one
                    i = at + 2 - Long.BYTES;
                }
            }
            for (; i < line.length; i++) {
                if (line[i] == '\\') {
                    i++;
                } else if (line[i] == '"') {
                    return i;
                }
            }
            return i;
        }
    }
}
