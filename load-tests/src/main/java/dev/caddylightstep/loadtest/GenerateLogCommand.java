package dev.caddylightstep.loadtest;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Writes generated Caddy access-log lines to a file or stdout, as fast as possible or at a steady rate. */
@Command(name = "generate-caddy-log", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Writes deterministic Caddy 2.6.2 JSON access-log lines, one per line; a summary of what was "
                + "written goes to stderr.")
public final class GenerateLogCommand implements Callable<Integer> {
    private static final int BUFFER_BYTES = 1 << 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--lines", paramLabel = "N", description = "Lines to write (default: ${DEFAULT-VALUE}).")
    long lines = 100_000;

    @Option(names = "--minutes", paramLabel = "N",
            description = "Instead of --lines: every line logged in the N minutes of log time from --start (not with --rate).")
    Long minutes;

    @Option(names = "--rate", paramLabel = "R",
            description = "Lines per second of wall-clock time; 0 writes as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--log-rate", paramLabel = "R",
            description = "Mean lines per second of log time (the ts field); default: --rate if set, else 1000.")
    Double logRate;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed: the same seed writes the same bytes (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--start", paramLabel = "INSTANT",
            description = "Log time of the first line: ISO-8601 (2026-11-25T00:00:00Z), 'now', or a duration before now, to "
                    + "the minute (-PT3H30M): the pipeline dead-letters lines logged in its future (default: ${DEFAULT-VALUE}).")
    String start = GeneratorSettings.DEFAULT_START.toString();

    @Option(names = "--malformed-share", paramLabel = "P", description = "Share of malformed lines (default: ${DEFAULT-VALUE}).")
    double malformedShare = GeneratorSettings.defaults().malformedShare();

    @Option(names = "--non-access-share", paramLabel = "P",
            description = "Share of lines of Caddy's other loggers (default: ${DEFAULT-VALUE}).")
    double nonAccessShare = GeneratorSettings.defaults().nonAccessShare();

    @Option(names = "--server-error-share", paramLabel = "P",
            description = "Share of proxied requests that fail with 5xx (default: ${DEFAULT-VALUE}).")
    double serverErrorShare = RequestMix.defaults().serverErrorShare();

    @Option(names = "--slow-group", paramLabel = "G",
            description = "Make every request of group G slower than --slow-ms for --slow-minutes from --slow-minute: G is one of "
                    + "the groups the benchmarks' identities put the users in (engineering: alice, dave, grace; sales: bob, erin, "
                    + "heidi; support: carol, frank, ivan). Each such request takes --slow-ms more than it would; nothing else changes.")
    String slowGroup;

    @Option(names = "--slow-from", paramLabel = "MINUTE",
            description = "Minutes of log time after --start at which the slow spell starts (default: ${DEFAULT-VALUE}).")
    long slowFrom = 120;

    @Option(names = "--slow-minutes", paramLabel = "N", description = "How long the slow spell lasts, in minutes of log time (default: ${DEFAULT-VALUE}).")
    long slowMinutes = 20;

    @Option(names = "--slow-ms", paramLabel = "MS",
            description = "Every request of the slow spell takes longer than this, in milliseconds (default: ${DEFAULT-VALUE}).")
    long slowMs = 5_000;

    @Option(names = "--auth-warm",
            description = "Start as a log cut from a running server: basicauth's cache already holds every user, so no user's"
                    + " first request pays bcrypt's second (without it, every user's first request does).")
    boolean authWarm;

    @Option(names = "--out", paramLabel = "FILE", description = "File to write, '-' for stdout (default: ${DEFAULT-VALUE}).")
    String out = "-";

    public static void main(String[] args) {
        System.exit(new CommandLine(new GenerateLogCommand()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        CaddyLogGenerator generator = new CaddyLogGenerator(settings());
        long began = System.nanoTime();
        try (OutputStream target = new BufferedOutputStream(out.equals("-") ? new NonClosing(System.out) : new FileOutputStream(out),
                BUFFER_BYTES)) {
            if (rate > 0) {
                writePaced(generator, target);
            } else if (minutes != null) {
                Instant start = generator.settings().start();
                Instant end = start.plus(Duration.ofMinutes(minutes));
                generator.writeLinesUntil(target, Math.addExact(Math.multiplyExact(end.getEpochSecond(), 1_000_000_000L), end.getNano()));
            } else {
                generator.writeLines(target, lines);
            }
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        GeneratedCounts counts = generator.counts();
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        err.printf("wrote %d lines in %.2f s (%.0f lines/s): %d access, %d malformed, %d other loggers; %s%n",
                counts.lines(), seconds, counts.lines() / Math.max(seconds, 1e-9), counts.accessLines(), counts.malformedLines(),
                counts.nonAccessLines(), counts.linesByKind());
        return 0;
    }

    private GeneratorSettings settings() {
        if (lines < 0 || !(rate >= 0) || minutes != null && minutes < 0) {
            throw new ParameterException(spec.commandLine(), "--lines, --minutes and --rate must be >= 0");
        }
        if (minutes != null && rate > 0) {
            throw new ParameterException(spec.commandLine(), "--minutes writes as fast as possible: not with --rate");
        }
        try {
            Instant first = firstLineTime();
            return GeneratorSettings.defaults()
                    .withSeed(seed)
                    .withStart(first)
                    .withLinesPerSecond(logRate != null ? logRate : rate > 0 ? rate : 1_000)
                    .withShares(malformedShare, nonAccessShare)
                    .withMix(RequestMix.defaults().withServerErrorShare(serverErrorShare))
                    .withSlowSpell(slowSpell(first))
                    .withAuthWarm(authWarm);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private Instant firstLineTime() {
        if (start.equals("now")) {
            return Instant.now();
        }
        if (start.startsWith("-P")) {
            return Instant.now().minus(Duration.parse(start.substring(1))).truncatedTo(ChronoUnit.MINUTES);
        }
        return Instant.parse(start);
    }

    private SlowSpell slowSpell(Instant first) {
        if (slowGroup == null) {
            return null;
        }
        if (!SiteTables.groups().contains(slowGroup)) {
            throw new IllegalArgumentException("--slow-group must be one of " + SiteTables.groups() + ", not " + slowGroup);
        }
        if (slowFrom < 0 || slowMinutes < 0 || slowMs < 0) {
            throw new IllegalArgumentException("--slow-from, --slow-minutes and --slow-ms must be >= 0");
        }
        return new SlowSpell(SiteTables.usersOf(slowGroup), first.plus(Duration.ofMinutes(slowFrom)), Duration.ofMinutes(slowMinutes),
                Duration.ofMillis(slowMs));
    }

    /** Writes in slices of about a millisecond's worth, flushing each so that a reader tailing the file sees them then. */
    private void writePaced(CaddyLogGenerator generator, OutputStream target) throws IOException {
        long slice = Math.max(1, (long) (rate / 1_000));
        double nanosPerLine = 1e9 / rate;
        long began = System.nanoTime();
        for (long written = 0; written < lines; ) {
            long n = Math.min(slice, lines - written);
            generator.writeLines(target, n);
            written += n;
            long due = began + (long) (written * nanosPerLine);
            long ahead = due - System.nanoTime();
            if (ahead > 0) {
                target.flush();
                LockSupport.parkNanos(ahead);
            }
        }
    }

    /** Stdout stays open for whoever else writes to it after us. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
