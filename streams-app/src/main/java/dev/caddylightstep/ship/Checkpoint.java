package dev.caddylightstep.ship;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The shipper's position in a followed log, kept in a small text file that is only ever replaced whole: written
 * to a temporary file, forced to disk, renamed over the old one, and the directory forced too, so that a crash at
 * any moment leaves either the old or the new position. It is written only after Kafka acknowledged every line
 * before the position. A {@code .lock} file next to it keeps a second shipper off the same log.
 *
 * <pre>
 * format=1
 * log=/var/log/caddy/access.log                          the followed file (--file)
 * file=/var/log/caddy/access.log                         where the position's file was opened
 * file-key=(dev=803,ino=131090)                          its identity while it exists uncompressed
 * fingerprint-bytes=1024                                 its first bytes, hashed: its identity after gzip
 * fingerprint=sha256:4c1f...
 * offset=1048571                                         where the next line to ship starts
 * written=2026-11-25T00:00:18.853Z
 * </pre>
 */
final class Checkpoint implements AutoCloseable {
    static final String SUFFIX = ".caddy-lightstep-checkpoint";
    private static final String FORMAT = "1";

    /** What a checkpoint file holds. */
    record Saved(Path log, LogPosition position, Instant written) {
    }

    private final Path file;
    private final Path temporary;
    private FileChannel lockChannel;
    private FileLock lock;

    Checkpoint(Path file) {
        this.file = file.toAbsolutePath();
        this.temporary = this.file.resolveSibling(this.file.getFileName() + ".tmp");
    }

    /** Next to the log, hidden: {@code /var/log/caddy/.access.log.caddy-lightstep-checkpoint}. */
    static Path defaultFor(Path log) {
        Path absolute = log.toAbsolutePath();
        return absolute.resolveSibling("." + absolute.getFileName() + SUFFIX);
    }

    Path file() {
        return file;
    }

    /** Takes the lock that keeps other shippers off this checkpoint; held until {@link #close()}. */
    void lock() {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try {
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            throw new ShipException("cannot write checkpoint " + file + ": " + reason(e));
        }
        if (lock == null) {
            close();
            throw new ShipException("another ship process is using checkpoint " + file + " (" + lockFile + " is locked): one shipper per log file");
        }
    }

    Optional<Saved> read() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ShipException("cannot read checkpoint " + file + ": " + reason(e));
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (!line.isBlank() && !line.startsWith("#") && eq > 0) {
                fields.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        try {
            if (!FORMAT.equals(fields.get("format"))) {
                throw new IllegalArgumentException("format is " + fields.get("format") + ", expected " + FORMAT);
            }
            String hash = required(fields, "fingerprint");
            if (!hash.startsWith("sha256:")) {
                throw new IllegalArgumentException("fingerprint is not sha256:...");
            }
            Fingerprint fingerprint = new Fingerprint(Integer.parseInt(required(fields, "fingerprint-bytes")), hash.substring("sha256:".length()));
            LogFile logFile = new LogFile(Path.of(required(fields, "file")), required(fields, "file-key"), fingerprint);
            long offset = Long.parseLong(required(fields, "offset"));
            return Optional.of(new Saved(Path.of(required(fields, "log")), new LogPosition(logFile, offset),
                    Instant.parse(required(fields, "written"))));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ShipException("checkpoint " + file + " is not readable (" + e.getMessage() + "): fix or delete it");
        }
    }

    /** Replaces the checkpoint; a failure (directory not writable, disk full) is a {@link ShipException}, never skipped. */
    void write(Path log, LogPosition position, Instant now) {
        String text = "# caddy-lightstep ship checkpoint: Kafka acknowledged every line of `log` before `offset` in `file`.\n"
                + "# Delete this file (with the shipper stopped) to start again; see connectors/README.md.\n"
                + "format=" + FORMAT + "\n"
                + "log=" + log.toAbsolutePath() + "\n"
                + "file=" + position.file().path() + "\n"
                + "file-key=" + position.file().fileKey() + "\n"
                + "fingerprint-bytes=" + position.file().fingerprint().length() + "\n"
                + "fingerprint=sha256:" + position.file().fingerprint().sha256() + "\n"
                + "offset=" + position.offset() + "\n"
                + "written=" + now + "\n";
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
        } catch (IOException e) {
            throw new ShipException("cannot write checkpoint " + file + ": " + reason(e));
        }
    }

    /** Makes the rename durable; a file system that cannot force a directory has nothing more to offer. */
    private void forceDirectory() {
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // not supported here (some file systems, Windows): the rename is as durable as it gets
        }
    }

    @Override
    public void close() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
        lock = null;
        lockChannel = null;
    }

    private static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("no " + name);
        }
        return value;
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
