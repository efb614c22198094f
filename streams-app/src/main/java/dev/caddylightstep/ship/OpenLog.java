package dev.caddylightstep.ship;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Arrays;
import java.util.zip.ZipException;

/** One open log file: the live one, a rotated copy, or a rotated copy's .gz. */
final class OpenLog implements Closeable {
    /** The offset that means: after the last complete line, as a follower that does not read from the start begins. */
    static final long AT_END = -1;
    private static final int CHUNK = 64 * 1024;

    final Path path;
    final String fileKey;
    final boolean gzip;
    final Instant openedAt = Instant.now();
    /** Its size when opened; 0 for a .gz, whose uncompressed size is unknown. */
    final long size;
    /** Its size at the last look that found its first bytes unchanged: its old content was at least this long. */
    long sizeSeen;
    boolean live;
    long position;
    private final FileChannel channel;
    private final InputStream gzipStream;
    private final byte[] head = new byte[Fingerprint.LENGTH];
    private int headLength;
    private final ByteBuffer headNow = ByteBuffer.allocate(Fingerprint.LENGTH);
    private LogFile identity;
    /** Why a .gz could not be read to its end (cut short, damaged), or null: its end is where that was found. */
    private String damage;

    private OpenLog(Path path, String fileKey, FileChannel channel, InputStream gzipStream, boolean live) throws IOException {
        this.path = path;
        this.fileKey = fileKey;
        this.channel = channel;
        this.gzipStream = gzipStream;
        this.gzip = gzipStream != null;
        this.live = live;
        this.size = channel != null ? channel.size() : 0;
        this.sizeSeen = size;
    }

    /** Opens the live file; a rename between the look and the open is noticed and the open retried. */
    static OpenLog live(Path path, long offset) throws IOException {
        return live(path, offset, null);
    }

    /**
     * Opens the live file, which must be the file of key {@code expectedKey} (any, if null). The successor of a
     * finished file was chosen from a listing: if the live file was rotated since, the file meant is a rotated
     * copy now, and opening the new live file instead would skip it. That is a {@link NoSuchFileException}, so
     * that the successor is chosen again from a new listing.
     */
    static OpenLog live(Path path, long offset, String expectedKey) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            FileState before = FileState.of(path);
            if (before == null) {
                throw new NoSuchFileException(path.toString());
            }
            if (expectedKey != null && !before.fileKey().equals(expectedKey)) {
                throw new NoSuchFileException(path.toString(), null, "rotated since it was listed");
            }
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            FileState after = FileState.of(path);
            if (after != null && after.fileKey().equals(before.fileKey())) {
                OpenLog log = new OpenLog(path, before.fileKey(), channel, null, true);
                log.seek(offset == AT_END ? endOfLastLine(channel) : offset);
                return log;
            }
            channel.close();
        }
        throw new IOException(path + " kept being replaced while opening it");
    }

    static OpenLog rotated(Path path, long offset) throws IOException {
        if (RotatedFiles.isGzip(path)) {
            InputStream in = Fingerprint.open(path);
            OpenLog log = new OpenLog(path, String.valueOf(Files.readAttributes(path, BasicFileAttributes.class).fileKey()), null, in, false);
            log.skipCompressed(offset);
            return log;
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        FileState state = FileState.of(path);
        OpenLog log = new OpenLog(path, state == null ? "" : state.fileKey(), channel, null, false);
        log.seek(offset);
        return log;
    }

    /** Positions at an offset, or at the start if the file is shorter (truncated), reading the head for the fingerprint. */
    private void seek(long offset) throws IOException {
        long target = offset > channel.size() ? 0 : offset;
        ByteBuffer headBuffer = ByteBuffer.wrap(head, 0, (int) Math.min(Fingerprint.LENGTH, target));
        while (headBuffer.hasRemaining() && channel.read(headBuffer, headBuffer.position()) > 0) {
            // positional reads until the head is in
        }
        headLength = headBuffer.position();
        position = target;
    }

    private void skipCompressed(long offset) throws IOException {
        int headPart = (int) Math.min(Fingerprint.LENGTH, offset);
        long skipped = 0;
        try {
            headLength = gzipStream.readNBytes(head, 0, headPart);
            skipped = headLength;
            while (skipped < offset) {
                long n = gzipStream.skip(offset - skipped);
                if (n <= 0) {
                    if (gzipStream.read() < 0) {
                        break;
                    }
                    n = 1;
                }
                skipped += n;
            }
        } catch (ZipException | EOFException e) {
            damage = e.getMessage();
        }
        position = skipped;
    }

    /**
     * @return bytes read, or -1 at the end of the file; a .gz that cannot be read on (cut short by a crash while it was
     *     written, damaged) ends where it cannot, saying why in {@link #damage()}: its rest is lost, and only that
     */
    int read(byte[] buffer) throws IOException {
        int n;
        if (gzip) {
            if (damage != null) {
                return -1;
            }
            try {
                n = gzipStream.read(buffer);
            } catch (ZipException | EOFException e) {
                damage = e.getMessage();
                return -1;
            }
        } else {
            n = channel.read(ByteBuffer.wrap(buffer), position);
        }
        if (n <= 0) {
            return -1;
        }
        if (position < Fingerprint.LENGTH) {
            int copied = (int) Math.min(n, Fingerprint.LENGTH - position);
            System.arraycopy(buffer, 0, head, (int) position, copied);
            headLength = (int) position + copied;
        }
        position += n;
        return n;
    }

    /**
     * Whether the file is no longer the one read: shorter than what was read of it, or starting with other bytes
     * than those read (the same file key, so truncated in place, and maybe refilled further than was read).
     */
    boolean truncatedInPlace() throws IOException {
        long sizeNow = channel.size();
        if (sizeNow < position || !startsWithHead()) {
            return true;
        }
        // looked at before the head: the head unchanged after it, the file had this much of its old content
        sizeSeen = sizeNow;
        return false;
    }

    private boolean startsWithHead() throws IOException {
        headNow.clear().limit(headLength);
        while (headNow.hasRemaining() && channel.read(headNow, headNow.position()) > 0) {
            // positional reads until the head is in
        }
        return headNow.position() == headLength && Arrays.equals(head, 0, headLength, headNow.array(), 0, headLength);
    }

    /** Why this .gz ended before its end, or null. */
    String damage() {
        return damage;
    }

    LogFile identity() {
        if (identity == null || identity.fingerprint().length() != headLength) {
            identity = new LogFile(path, fileKey, Fingerprint.of(head, headLength));
        }
        return identity;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
        if (gzipStream != null) {
            gzipStream.close();
        }
    }

    private static long endOfLastLine(FileChannel channel) throws IOException {
        long end = channel.size();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        while (end > 0) {
            int length = (int) Math.min(CHUNK, end);
            long from = end - length;
            chunk.clear().limit(length);
            while (chunk.hasRemaining() && channel.read(chunk, from + chunk.position()) > 0) {
                // positional reads until the chunk is in
            }
            for (int i = chunk.position() - 1; i >= 0; i--) {
                if (chunk.get(i) == '\n') {
                    return from + i + 1;
                }
            }
            end = from;
        }
        return 0;
    }
}
