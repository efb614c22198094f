package dev.caddylightstep.console;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Progress of long work on stderr: on a terminal, one line redrawn in place twice a second; otherwise (a log
 * file, CI) a plain line every so often, so that logs stay readable.
 */
public final class ProgressLine implements AutoCloseable {
    private static final long TERMINAL_EVERY_MS = 500;

    private final ScheduledExecutorService timer;
    private final PrintWriter err;
    private final boolean terminal;

    private ProgressLine(ScheduledExecutorService timer, PrintWriter err, boolean terminal) {
        this.timer = timer;
        this.err = err;
        this.terminal = terminal;
    }

    /** Starts printing what {@code line} says; {@code prefix} starts each plain line, e.g. "ship: ". */
    public static ProgressLine start(PrintWriter err, String prefix, Duration plainEvery, Supplier<String> line) {
        boolean terminal = System.console() != null;
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "progress");
            thread.setDaemon(true);
            return thread;
        });
        long every = terminal ? TERMINAL_EVERY_MS : plainEvery.toMillis();
        timer.scheduleAtFixedRate(() -> {
            String text = line.get();
            if (terminal) {
                err.print("\r\033[2K" + text);
            } else {
                err.println(prefix + text);
            }
            err.flush();
        }, every, every, TimeUnit.MILLISECONDS);
        return new ProgressLine(timer, err, terminal);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (terminal) {
            err.println();
            err.flush();
        }
    }
}
