package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.loadtest.CaddyLogGenerator;
import dev.caddylightstep.loadtest.GeneratedCounts;
import dev.caddylightstep.loadtest.GeneratorSettings;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/**
 * A Caddy access log written at a constant rate of wall-clock time, as Caddy writes it: each line once the clock
 * reaches its {@code ts}, whole lines only, appended to one file that the shipper follows. Each line also goes to the
 * {@link InputLedger}.
 */
final class PacedLog implements Runnable {
    /** Lines due are written together and flushed this often: a few at 2,000 lines a second. */
    private static final long TICK_NANOS = Duration.ofMillis(5).toNanos();
    private static final byte NEWLINE = '\n';

    private final Path file;
    private final GeneratorSettings settings;
    private final Duration length;
    private final InputLedger ledger;
    private volatile long written;
    private volatile GeneratedCounts counts;

    PacedLog(Path file, GeneratorSettings settings, Duration length, InputLedger ledger) {
        this.file = file;
        this.settings = settings;
        this.length = length;
        this.ledger = ledger;
    }

    @Override
    public void run() {
        Instant start = Instant.now();
        CaddyLogGenerator generator = new CaddyLogGenerator(settings.withStart(start));
        long end = epochNanos(start) + length.toNanos();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 1 << 20)) {
            while (generator.nextEpochNanos() < end && !Thread.currentThread().isInterrupted()) {
                long now = epochNanos(Instant.now());
                long lines = 0;
                while (generator.nextEpochNanos() <= now && generator.nextEpochNanos() < end) {
                    byte[] line = generator.nextLine();
                    out.write(line);
                    out.write(NEWLINE);
                    ledger.add(line);
                    lines++;
                }
                out.flush();
                written += lines;
                LockSupport.parkNanos(TICK_NANOS);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the soak's log " + file, e);
        } finally {
            counts = generator.counts();
        }
    }

    long written() {
        return written;
    }

    /** What was written, once the run is over. */
    GeneratedCounts counts() {
        return counts;
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
