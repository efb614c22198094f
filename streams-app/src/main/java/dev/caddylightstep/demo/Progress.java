package dev.caddylightstep.demo;

import java.io.PrintStream;

/**
 * Progress on stderr: a line redrawn in place on a terminal, a plain line every few seconds otherwise (logs
 * and CI stay readable).
 */
final class Progress {
    private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

    private final PrintStream err;
    private final boolean terminal = System.console() != null;
    private long lastLines;
    private long lastAt = System.nanoTime();
    private long lastPrinted;
    private boolean drawn;

    Progress(PrintStream err) {
        this.err = err;
    }

    void update(Demo.Summary s) {
        long now = System.nanoTime();
        double seconds = (now - lastAt) / 1e9;
        if (!terminal && now - lastPrinted < PLAIN_EVERY_NANOS) {
            return;
        }
        long rate = seconds > 0 ? Math.round((s.lines() - lastLines) / seconds) : 0;
        long backlog = Math.max(0, s.lines() - s.requests() - s.skipped() - s.deadLetters());
        String line = String.format("lines %,d (%,d/s) · requests %,d · dead letters %,d · spans acknowledged %,d · windows %,d · lag %,d",
                s.lines(), rate, s.requests(), s.deadLetters(), s.spans(), s.windows(), backlog);
        if (terminal) {
            err.print("\r\033[2K" + line);
            drawn = true;
        } else {
            err.println("demo: " + line);
        }
        err.flush();
        lastLines = s.lines();
        lastAt = now;
        lastPrinted = now;
    }

    void done() {
        if (terminal && drawn) {
            err.println();
        }
    }
}
