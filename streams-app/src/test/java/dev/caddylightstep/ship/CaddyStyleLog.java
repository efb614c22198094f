package dev.caddylightstep.ship;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a log file and rolls it the way Caddy's file writer (lumberjack) does: close the file, rename it to
 * {@code NAME-<UTC time>.log}, create a new {@code NAME.log}; then, in the background, write
 * {@code NAME-<time>.log.gz} and only after that delete the uncompressed copy.
 */
final class CaddyStyleLog implements AutoCloseable {
    private static final DateTimeFormatter BACKUP_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS").withZone(ZoneOffset.UTC);

    private final Path live;
    private final ExecutorService compressor = Executors.newSingleThreadExecutor();
    private final List<Path> rotated = new ArrayList<>();
    private OutputStream out;
    private Instant clock = Instant.now();

    CaddyStyleLog(Path live) {
        this.live = live;
        this.out = open();
    }

    Path live() {
        return live;
    }

    void write(String line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rolls the file.
     *
     * @param compressAfterMs when the background gzip starts; 0 gzips before this method returns
     * @return the rotated file's uncompressed name
     */
    Path rotate(long compressAfterMs) {
        try {
            out.close();
            // lumberjack names copies to the millisecond; a test rolls faster than real time, so a clock that steps
            clock = clock.plusSeconds(1);
            String name = live.getFileName().toString();
            Path backup = live.resolveSibling(name.substring(0, name.lastIndexOf('.')) + "-" + BACKUP_TIME.format(clock) + ".log");
            Files.move(live, backup);
            out = open();
            rotated.add(backup);
            if (compressAfterMs == 0) {
                gzip(backup);
            } else {
                compressor.execute(() -> {
                    sleep(compressAfterMs);
                    gzip(backup);
                });
            }
            return backup;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<Path> rotated() {
        return List.copyOf(rotated);
    }

    /** Waits for the background gzips. */
    void awaitCompression() throws InterruptedException {
        compressor.shutdown();
        compressor.awaitTermination(30, TimeUnit.SECONDS);
    }

    private OutputStream open() {
        try {
            return Files.newOutputStream(live, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void gzip(Path file) {
        Path gz = file.resolveSibling(file.getFileName() + ".gz");
        try (InputStream in = Files.newInputStream(file); OutputStream zipped = new GZIPOutputStream(Files.newOutputStream(gz))) {
            in.transferTo(zipped);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
        compressor.shutdownNow();
    }
}
