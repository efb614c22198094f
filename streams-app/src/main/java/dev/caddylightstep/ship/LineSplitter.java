package dev.caddylightstep.ship;

import java.util.Arrays;

/**
 * Cuts a byte stream into newline-terminated lines, however the reads split them, and tracks the byte offset
 * of each. A line longer than the limit (and a '\r' before its newline) is never held whole: only its first bytes are
 * kept, for its dead letter.
 */
final class LineSplitter {
    /** How much of an over-long line its dead letter carries, at most. */
    static final int DEAD_LETTER_PREFIX = 16 * 1024;

    /** Receives the lines; the buffer is only valid during the call. */
    interface Lines {
        void line(byte[] buffer, int offset, int length, long start, long end);

        /** A line longer than the limit: its first {@code prefixLength} bytes are in the buffer at the offset. */
        void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end);
    }

    private final int maxLineBytes;
    private final int keptPrefix;
    private byte[] partial = new byte[8 * 1024];
    private int partialLength;
    /** Length so far of an over-long line being skipped, or -1. */
    private long overLength = -1;
    /** Whether the over-long line's last byte so far is a '\r', which is not part of the line if its newline follows. */
    private boolean overEndsInCarriageReturn;
    private long lineStart;
    private long position;

    LineSplitter(int maxLineBytes, long startOffset) {
        this.maxLineBytes = maxLineBytes;
        this.keptPrefix = Math.min(maxLineBytes, DEAD_LETTER_PREFIX);
        this.lineStart = startOffset;
        this.position = startOffset;
    }

    /** The offset where the line not yet complete starts: after the last whole line. */
    long lineStart() {
        return lineStart;
    }

    /** Whether the bytes fed end in the middle of a line: a piece of one is held, or an over-long one is being skipped. */
    boolean midLine() {
        return partialLength > 0 || overLength >= 0;
    }

    /** The offset after the last byte fed. */
    long position() {
        return position;
    }

    void feed(byte[] data, int offset, int length, Lines out) {
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int newline = indexOfNewline(data, i, end);
            if (newline < 0) {
                append(data, i, end - i);
                position += end - i;
                return;
            }
            int pieceLength = newline - i;
            position += pieceLength + 1;
            if (partialLength == 0 && overLength < 0) {
                emitWhole(data, i, pieceLength, out);
            } else {
                append(data, i, pieceLength);
                emitPartial(out);
            }
            i = newline + 1;
        }
    }

    /** Emits a last line that has no newline: the file it came from is finished, so the line is too. */
    void finish(Lines out) {
        if (partialLength > 0 || overLength >= 0) {
            emitPartial(out);
        }
    }

    private void emitPartial(Lines out) {
        if (overLength < 0) {
            emitWhole(partial, 0, partialLength, out);
        } else {
            // the '\r' of an over-long line is not among the bytes kept: it is left out of the length here, as emitWhole does
            emit(partial, 0, partialLength, overEndsInCarriageReturn ? overLength - 1 : overLength, out);
        }
        partialLength = 0;
        overLength = -1;
    }

    /** A line whose bytes are all in the buffer. Caddy ends lines with \n; a \r before it is a Windows writer's, not part of the JSON. */
    private void emitWhole(byte[] buffer, int offset, int length, Lines out) {
        int withoutCarriageReturn = length > 0 && buffer[offset + length - 1] == '\r' ? length - 1 : length;
        emit(buffer, offset, withoutCarriageReturn, withoutCarriageReturn, out);
    }

    /** @param length the line's length without its '\r'; {@code available} of its first bytes are in the buffer */
    private void emit(byte[] buffer, int offset, int available, long length, Lines out) {
        long start = lineStart;
        lineStart = position;
        if (length > maxLineBytes) {
            out.tooLong(buffer, offset, Math.min(available, keptPrefix), length, start, position);
        } else if (length > 0) {
            out.line(buffer, offset, available, start, position);
        }
    }

    private void append(byte[] data, int offset, int length) {
        if (overLength >= 0) {
            overLength += length;
            overEndsInCarriageReturn = length > 0 ? data[offset + length - 1] == '\r' : overEndsInCarriageReturn;
            return;
        }
        // a line of max-line-bytes can come with a '\r' before its newline, which emit drops: it is held whole too
        if ((long) partialLength + length > maxLineBytes + 1L) {
            int keep = Math.max(0, Math.min(length, keptPrefix - partialLength));
            ensureCapacity(partialLength + keep);
            System.arraycopy(data, offset, partial, partialLength, keep);
            overLength = (long) partialLength + length;
            overEndsInCarriageReturn = data[offset + length - 1] == '\r';
            partialLength += keep;
            return;
        }
        ensureCapacity(partialLength + length);
        System.arraycopy(data, offset, partial, partialLength, length);
        partialLength += length;
    }

    private void ensureCapacity(int needed) {
        if (needed > partial.length) {
            partial = Arrays.copyOf(partial, Math.max(needed, Math.min(partial.length * 2, maxLineBytes + 1)));
        }
    }

    private static int indexOfNewline(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            if (data[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
