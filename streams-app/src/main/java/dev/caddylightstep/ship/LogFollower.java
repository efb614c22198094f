package dev.caddylightstep.ship;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every line of a Caddy log file once, through Caddy's rotations. The live file is followed through its
 * open handle; when the live name points to another file (a different file key), the old file has been renamed, or
 * deleted and made again: it is read to its end through the handle, which also gets the lines Caddy wrote just before
 * the rename, and then the next file is read. While no file has the live name, the handle is followed on. The next
 * file is the rotated copy after the one just finished, if rotations came faster than the follower (read from its .gz
 * if Caddy already compressed it), otherwise the new live file.
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
    private static final int RECENTLY_READ = 16;

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
    /** The files read to their end last, newest first: a successor looked for by time is never one of them. */
    private final Deque<LogFile> recentlyRead = new ArrayDeque<>();

    private LogFollower(Path live, int maxLineBytes) throws IOException {
        this.live = live.toAbsolutePath();
        this.rotated = new RotatedFiles(linkedTo(this.live));
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * The file a link points to, or the path itself. Caddy rolls a file where it is, so that the rolled copies of a
     * log given by a link are beside the file it points to: beside the link, none is found.
     */
    private static Path linkedTo(Path path) throws IOException {
        if (!Files.isSymbolicLink(path)) {
            return path;
        }
        Path target = path.toRealPath();
        LOG.info("{} is a link to {}: its rolled copies are looked for in {}", path, target, target.getParent());
        return target;
    }

    /** Follows the live file from its first byte, or from the end of its last complete line. */
    static LogFollower start(Path live, int maxLineBytes, boolean fromBeginning) throws IOException {
        LogFollower follower = new LogFollower(live, maxLineBytes);
        follower.use(OpenLog.live(follower.live, fromBeginning ? 0 : OpenLog.AT_END));
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
                if (log.damage() != null) {
                    // said when it is finished, at its next read
                    LOG.info("resuming {} short of the checkpointed offset {}", path, position.offset());
                } else if (log.position != position.offset()) {
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
            next = firstModifiedSince(chain, written, List.of(position.file()));
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
            // no file of that name: renamed by a roll whose new file is not there yet, or deleted, which Caddy does not
            // notice, going on writing to it through its handle, as this reads it through its own
            if (now == null || now.fileKey().equals(current.fileKey)) {
                return 0;
            }
            // Caddy closes the file, then renames it: every line written before the rename is behind our handle
            while ((n = current.read(buffer)) > 0) {
                splitter.feed(buffer, 0, n, forwarding);
            }
            current.live = false;
            LOG.info("{} was rotated; its old file was read to its end at offset {}", live, current.position);
        }
        if (current.damage() != null) {
            LOG.warn("{} cannot be read past byte {} of its content ({}): it was cut short or damaged, and its lines from there "
                    + "on are lost; going on with the next file", current.path, current.position, current.damage());
        }
        splitter.finish(forwarding);
        finished = current.identity();
        finishedOpenedAt = current.openedAt;
        recentlyRead.addFirst(finished);
        if (recentlyRead.size() > RECENTLY_READ) {
            recentlyRead.removeLast();
        }
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
            next = firstModifiedSince(chain, finishedOpenedAt, recentlyRead);
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
            if (before == null ? after == null : after != null && before.fileKey().equals(after.fileKey())) {
                if (after != null) {
                    chain.add(live);
                }
                liveKeyListed = after == null ? null : after.fileKey();
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
                    if (state.fileKey().equals(file.fileKey()) && (fingerprint.length() == 0 || fingerprint.matches(path))) {
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

    /**
     * The first file modified since {@code since} that is none of those {@code read} already: the .gz of the roll
     * before is written after the file that roll began was opened, and its time would name it.
     */
    private static Path firstModifiedSince(List<Path> chain, Instant since, Collection<LogFile> read) throws IOException {
        Instant threshold = since.minus(MTIME_SLACK);
        for (Path path : chain) {
            try {
                if (!Files.getLastModifiedTime(path).toInstant().isBefore(threshold) && !isAny(path, read)) {
                    return path;
                }
            } catch (NoSuchFileException e) {
                // gone meanwhile
            }
        }
        return null;
    }

    private static boolean isAny(Path path, Collection<LogFile> files) throws IOException {
        for (LogFile file : files) {
            if (indexOf(List.of(path), file) >= 0) {
                return true;
            }
        }
        return false;
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
}
