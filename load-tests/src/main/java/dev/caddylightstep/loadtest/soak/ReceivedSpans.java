package dev.caddylightstep.loadtest.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** The span ids {@link SoakReceiver} has recorded so far, read from its file as it grows (whole records only). */
final class ReceivedSpans {
    private final Path file;
    private long[] spanIds = new long[1 << 16];
    private int count;
    private long readBytes;

    ReceivedSpans(Path file) {
        this.file = file;
    }

    /** Reads what was appended since the last call; returns how many spans are on record. */
    synchronized long catchUp() {
        if (!Files.exists(file)) {
            return count;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long whole = (channel.size() - readBytes) / SoakReceiver.RECORD_BYTES * SoakReceiver.RECORD_BYTES;
            ByteBuffer buffer = ByteBuffer.allocate(SoakReceiver.RECORD_BYTES * 4096);
            long end = readBytes + whole;
            while (readBytes < end) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), end - readBytes));
                if (channel.read(buffer, readBytes) <= 0) {
                    break;
                }
                buffer.flip();
                // a short read may end inside a record: that record is read again from its start next time round
                while (buffer.remaining() >= SoakReceiver.RECORD_BYTES) {
                    buffer.position(buffer.position() + 16);
                    add(buffer.getLong());
                    readBytes += SoakReceiver.RECORD_BYTES;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the receiver's record " + file, e);
        }
        return count;
    }

    /** The size of the file in spans, without reading it: for progress lines. */
    long onRecord() {
        try {
            return Files.exists(file) ? Files.size(file) / SoakReceiver.RECORD_BYTES : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    synchronized long[] spanIds() {
        return Arrays.copyOf(spanIds, count);
    }

    private void add(long spanId) {
        if (count == spanIds.length) {
            spanIds = Arrays.copyOf(spanIds, count * 2);
        }
        spanIds[count++] = spanId;
    }
}
