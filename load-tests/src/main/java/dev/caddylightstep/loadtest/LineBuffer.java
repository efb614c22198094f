package dev.caddylightstep.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array that one log line is written into, reused from line to line. */
final class LineBuffer {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private byte[] bytes;
    private int length;

    LineBuffer(int initialCapacity) {
        bytes = new byte[initialCapacity];
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    void clear() {
        length = 0;
    }

    int length() {
        return length;
    }

    byte byteAt(int index) {
        return bytes[index];
    }

    void truncate(int newLength) {
        length = newLength;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(bytes, 0, length);
    }

    LineBuffer append(byte[] source) {
        return append(source, 0, source.length);
    }

    LineBuffer append(byte[] source, int from, int to) {
        int n = to - from;
        ensure(n);
        System.arraycopy(source, from, bytes, length, n);
        length += n;
        return this;
    }

    LineBuffer append(LineBuffer source, int from, int to) {
        return append(source.bytes, from, to);
    }

    LineBuffer append(char asciiChar) {
        ensure(1);
        bytes[length++] = (byte) asciiChar;
        return this;
    }

    LineBuffer appendDecimal(long value) {
        if (value < 0) {
            append('-');
            // Long.MIN_VALUE never reaches here: no generated number is anywhere near it
            value = -value;
        }
        int digits = digitCount(value);
        ensure(digits);
        int end = length + digits;
        for (int i = end - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        length = end;
        return this;
    }

    /** {@code value} (non-negative) in exactly {@code digits} decimal digits, zeros in front. */
    LineBuffer appendZeroPadded(long value, int digits) {
        ensure(digits);
        int end = length + digits;
        for (int i = end - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        length = end;
        return this;
    }

    /** The low {@code digits * 4} bits of {@code value} in lower-case hex, as W3C trace ids are written. */
    LineBuffer appendHex(long value, int digits) {
        ensure(digits);
        int end = length + digits;
        for (int i = end - 1; i >= length; i--) {
            bytes[i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
        length = end;
        return this;
    }

    private static int digitCount(long value) {
        int digits = 1;
        for (long limit = 10; digits < 19 && value >= limit; limit *= 10) {
            digits++;
        }
        return digits;
    }

    private void ensure(int extra) {
        if (length + extra > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + extra));
        }
    }
}
