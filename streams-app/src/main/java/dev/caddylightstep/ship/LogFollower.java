package dev.caddylightstep.ship;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every line of a Caddy log file once, through Caddy's rotations. The live file is followed through its
 * open handle; when the live name points to another file (a different file key), the old file has been renamed:
 * it is read to its end through the handle, which also gets the lines Caddy wrote just before the rename, and
 * then the next file is read. The next file is the rotated copy after the one just finished, if rotations came
 * faster than the follower (read from its .gz if Caddy already compressed it), otherwise the new live file.
 * Files are recognised by file key and {@link Fingerprint}, so a restart finds its checkpointed file under its
 * rotated name, or inside its .gz.
 *
 * <p>A live file truncated in place (logrotate's copytruncate) keeps its file key, and a busy writer may have
 * refilled it past the read position before the next look, so its size does not tell either: after every read of
 * the live file, its first bytes are compared with those read from it, and the bytes just read are used only if
 * they are the same. Otherwise the file is read again from offset 0, and what of its old content was not read is
 * said in a warning.
 */
final class LogFollower implements Closeable {
    /** Receives the lines with the file they are in; the buffer is only valid during the call. */
    interface Lines {
        void line(LogFile file, byte[] buffer, int offset, int length, long start, long end);

        void tooLong(LogFile file, byte[] buffer, int offset, int prefixLength, long length, long start, long end);

        /** The live file was truncated in place and is read again from its start; at least {@code lostBytes} of its old content were not read. */
        void truncated(long lostBytes);
    }

    private static final Logger LOG = LoggerFactory.getLogger(LogFollower.class);
    private static final int CHUNK = 64 * 1024;
    /** File times have coarse granularity on some file systems. */
    private static final Duration MTIME_SLACK = Duration.ofSeconds(2);
    private static final long AT_END = -1;

    private final Path live;
    private final RotatedFiles rotated;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[CHUNK];
    private final Forwarding forwarding = new Forwarding();
    private OpenLog current;
    private LineSplitter splitter;
    /** A file read to its end whose successor was not there yet. */
    private LogFile finished;
    private Instant finishedOpenedAt;
    private volatile long readPosition;
    private volatile long currentSize;
    private volatile boolean currentIsLive;
    /** The live file's key when the chain was last listed: the live file a successor names is that one. */
    private String liveKeyListed;

    private LogFollower(Path live, int maxLineBytes) {
        this.live = live.toAbsolutePath();
        this.rotated = new RotatedFiles(this.live);
        this.maxLineBytes = maxLineBytes;
    }

    /** Follows the live file from its first byte, or from the end of its last complete line. */
    static LogFollower start(Path live, int maxLineBytes, boolean fromBeginning) throws IOException {
        LogFollower follower = new LogFollower(live, maxLineBytes);
        follower.use(OpenLog.live(follower.live, fromBeginning ? 0 : AT_END));
        return follower;
    }

    /**
     * Resumes at a checkpointed position: in the live file, or in the rotated copy (or its .gz) the file has
     * become since, reading every later copy before the live file.
     */
    static LogFollower resume(Path live, int maxLineBytes, LogPosition position, Instant written) throws IOException {
        LogFollower follower = new LogFollower(live, maxLineBytes);
        for (int attempt = 0; attempt < 5; attempt++) {
            List<Path> chain = follower.chain();
            int index = indexOf(chain, position.file());
            if (index < 0) {
                follower.resumeWithoutCheckpointedFile(chain, position, written);
                return follower;
            }
            Path path = chain.get(index);
            try {
                OpenLog log = path.equals(follower.live) ? OpenLog.live(path, position.offset()) : OpenLog.rotated(path, position.offset());
                if (!log.gzip && !log.fileKey.equals(position.file().fileKey())) {
                    // rotated between the look and the open
                    log.close();
                    continue;
                }
                follower.use(log);
                if (log.position != position.offset()) {
                    LOG.warn("{} is shorter than the checkpointed offset {}: it was truncated; reading it from the start",
                            path, position.offset());
                } else {
                    LOG.info("resuming {} at offset {} (checkpoint)", path, log.position);
                }
                return follower;
            } catch (NoSuchFileException e) {
                // gzipped and removed, or rotated, meanwhile: look again
            }
        }
        throw new IOException("the files of " + live + " kept changing while looking for the checkpointed one");
    }

    private void resumeWithoutCheckpointedFile(List<Path> chain, LogPosition position, Instant written) throws IOException {
        Path next = rotated.after(chain, position.file().path());
        if (next == null) {
            next = firstModifiedSince(chain, written);
        }
        LOG.warn("the checkpointed file {} (offset {}) is no longer there, neither renamed nor gzipped (deleted by roll_keep?); "
                + "lines after that offset in it are lost; continuing with {}", position.file().path(), position.offset(),
                next == null ? live + " when it appears" : next);
        if (next != null) {
            use(next.equals(live) ? OpenLog.live(live, 0) : OpenLog.rotated(next, 0));
        }
    }

    /** Where reading starts, before anything was read. */
    LogPosition startPosition() {
        return current == null ? null : new LogPosition(current.identity(), current.position);
    }

    /**
     * Reads what is there now and hands over the complete lines.
     *
     * @return how many bytes were read, or a positive number after switching files; 0 when there is nothing new
     */
    int poll(Lines out) throws IOException {
        if (current == null && !openSuccessor()) {
            return 0;
        }
        forwarding.target = out;
        long readFrom = current.position;
        int n = current.read(buffer);
        // checked after the read and before its bytes are used: read from a file truncated and refilled meanwhile,
        // they are the middle of its new content, starting with a torn line
        if (current.live && current.truncatedInPlace()) {
            restartTruncated(readFrom, out);
            return 1;
        }
        if (n > 0) {
            splitter.feed(buffer, 0, n, forwarding);
            publish();
            return n;
        }
        if (current.live) {
            FileState now = FileState.of(live);
            if (now != null && now.fileKey.equals(current.fileKey)) {
                return 0;
            }
            // Caddy closes the file, then renames it: every line written before the rename is behind our handle
            while ((n = current.read(buffer)) > 0) {
                splitter.feed(buffer, 0, n, forwarding);
            }
            current.live = false;
            LOG.info("{} was rotated; its old file was read to its end at offset {}", live, current.position);
        }
        splitter.finish(forwarding);
        finished = current.identity();
        finishedOpenedAt = current.openedAt;
        current.close();
        current = null;
        openSuccessor();
        publish();
        return 1;
    }

    /** Bytes not read yet: the rest of the current file, and all of the live file if that is not the current one. */
    long unreadBytes() {
        long liveSize = FileState.sizeOf(live);
        if (currentIsLive) {
            return Math.max(0, liveSize - readPosition);
        }
        return Math.max(0, currentSize - readPosition) + liveSize;
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    private void use(OpenLog log) {
        current = log;
        splitter = new LineSplitter(maxLineBytes, log.position);
        finished = null;
        publish();
    }

    private void publish() {
        readPosition = current == null ? 0 : current.position;
        currentSize = current == null ? 0 : current.size;
        currentIsLive = current != null && current.live;
    }

    /**
     * @param readFrom where the read that found the truncation started: what was read from there on is not used
     */
    private void restartTruncated(long readFrom, Lines out) throws IOException {
        long unreadFrom = splitter.lineStart();
        long lost = Math.max(current.sizeSeen, readFrom) - unreadFrom;
        LOG.warn("{} was truncated in place (copytruncate?) after {} of its bytes were read; reading it again from offset 0. "
                + "Its old content from offset {} on was not shipped: {} bytes seen there, and whatever was written after them before the truncation",
                live, readFrom, unreadFrom, lost);
        OpenLog reopened = OpenLog.live(live, 0);
        current.close();
        use(reopened);
        out.truncated(lost);
    }

    private boolean openSuccessor() throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            List<Path> chain = chain();
            Path next = successor(chain);
            if (next == null) {
                return false;
            }
            try {
                use(next.equals(live) ? OpenLog.live(live, 0, liveKeyListed) : OpenLog.rotated(next, 0));
                LOG.info("reading {}", next);
                return true;
            } catch (NoSuchFileException e) {
                // gzipped and removed, or (the live file) rotated, meanwhile: look again
            }
        }
        return false;
    }

    private Path successor(List<Path> chain) throws IOException {
        if (finished == null) {
            return chain.contains(live) ? live : null;
        }
        int index = indexOf(chain, finished);
        if (index >= 0) {
            return index + 1 < chain.size() ? chain.get(index + 1) : null;
        }
        Path next = rotated.after(chain, finished.path());
        if (next == null) {
            next = firstModifiedSince(chain, finishedOpenedAt);
        }
        LOG.warn("cannot recognise {} among the log's files any more; continuing with {}", finished.path(), next);
        return next;
    }

    /**
     * The rotated copies oldest first, then the live file if it exists. A directory listing is not atomic: a
     * copy renamed while it runs may be missing from it, so the listing only counts if the live file is the
     * same file before and after it (a rename of the live file would have replaced it).
     */
    private List<Path> chain() throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            FileState before = FileState.of(live);
            List<Path> chain = new ArrayList<>(rotated.oldestFirst());
            FileState after = FileState.of(live);
            if (before == null ? after == null : after != null && before.fileKey.equals(after.fileKey)) {
                if (after != null) {
                    chain.add(live);
                }
                liveKeyListed = after == null ? null : after.fileKey;
                return chain;
            }
        }
        throw new IOException(live + " kept being rotated while listing its rotated copies");
    }

    private static int indexOf(List<Path> chain, LogFile file) throws IOException {
        Fingerprint fingerprint = file.fingerprint();
        // newest first: the file looked for is usually the newest copy
        for (int i = chain.size() - 1; i >= 0; i--) {
            Path path = chain.get(i);
            if (!RotatedFiles.isGzip(path)) {
                FileState state = FileState.of(path);
                if (state != null) {
                    if (state.fileKey.equals(file.fileKey()) && (fingerprint.length() == 0 || fingerprint.matches(path))) {
                        return i;
                    }
                    continue;
                }
                // gzipped and deleted since the listing: its .gz is the same copy
                path = RotatedFiles.compressed(path);
            }
            if (fingerprint.length() > 0 && fingerprint.matches(path)) {
                return i;
            }
        }
        return -1;
    }

    private static Path firstModifiedSince(List<Path> chain, Instant since) throws IOException {
        Instant threshold = since.minus(MTIME_SLACK);
        for (Path path : chain) {
            try {
                if (!Files.getLastModifiedTime(path).toInstant().isBefore(threshold)) {
                    return path;
                }
            } catch (NoSuchFileException e) {
                // gone meanwhile
            }
        }
        return null;
    }

    /** Hands the splitter's lines on with the file they are in. */
    private final class Forwarding implements LineSplitter.Lines {
        private Lines target;

        @Override
        public void line(byte[] buffer, int offset, int length, long start, long end) {
            target.line(current.identity(), buffer, offset, length, start, end);
        }

        @Override
        public void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
            target.tooLong(current.identity(), buffer, offset, prefixLength, length, start, end);
        }
    }

    /** A file's key and size now, or null if it does not exist. */
    private record FileState(String fileKey, long size) {
        static FileState of(Path path) throws IOException {
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                return new FileState(String.valueOf(attributes.fileKey()), attributes.size());
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        static long sizeOf(Path path) {
            try {
                return Files.size(path);
            } catch (IOException e) {
                return 0;
            }
        }
    }

    /** One open log file: the live one, a rotated copy, or a rotated copy's .gz. */
    private static final class OpenLog implements Closeable {
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
                if (expectedKey != null && !before.fileKey.equals(expectedKey)) {
                    throw new NoSuchFileException(path.toString(), null, "rotated since it was listed");
                }
                FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
                FileState after = FileState.of(path);
                if (after != null && after.fileKey.equals(before.fileKey)) {
                    OpenLog log = new OpenLog(path, before.fileKey, channel, null, true);
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
            OpenLog log = new OpenLog(path, state == null ? "" : state.fileKey, channel, null, false);
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
            headLength = gzipStream.readNBytes(head, 0, headPart);
            long skipped = headLength;
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
            position = skipped;
        }

        /** @return bytes read, or -1 at the end of the file */
        int read(byte[] buffer) throws IOException {
            int n = gzip ? gzipStream.read(buffer) : channel.read(ByteBuffer.wrap(buffer), position);
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
}
