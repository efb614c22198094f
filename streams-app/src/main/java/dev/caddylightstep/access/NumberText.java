package dev.caddylightstep.access;

import java.nio.charset.StandardCharsets;

/**
 * A number's text where it lies in a line's bytes, as {@link LogTimes} reads it: a String of it cost as much as the
 * reading (two a line, the ts and the duration). JSON's numbers are ASCII, so each byte is a char. One for each
 * {@link AsciiLineTokens}, pointed at each number in turn: what reads it must be done before the next token.
 */
final class NumberText implements CharSequence {
    private byte[] bytes;
    private int from;
    private int length;

    NumberText at(byte[] bytes, int from, int to) {
        this.bytes = bytes;
        this.from = from;
        this.length = to - from;
        return this;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException(index);
        }
        return (char) bytes[from + index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().substring(start, end);
    }

    @Override
    public String toString() {
        return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
    }
}
