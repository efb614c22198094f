package dev.caddylightstep.loadtest;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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

    @Option(names = "--rate", paramLabel = "R",
            description = "Lines per second of wall-clock time; 0 writes as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--log-rate", paramLabel = "R",
            description = "Mean lines per second of log time (the ts field); default: --rate if set, else 1000.")
    Double logRate;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed: the same seed writes the same bytes (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--start", paramLabel = "INSTANT",
            description = "Log time of the first line, ISO-8601 (2026-11-25T00:00:00Z) or 'now' (default: ${DEFAULT-VALUE}).")
    String start = GeneratorSettings.DEFAULT_START.toString();

    @Option(names = "--malformed-share", paramLabel = "P", description = "Share of malformed lines (default: ${DEFAULT-VALUE}).")
    double malformedShare = GeneratorSettings.defaults().malformedShare();

    @Option(names = "--non-access-share", paramLabel = "P",
            description = "Share of lines of Caddy's other loggers (default: ${DEFAULT-VALUE}).")
    double nonAccessShare = GeneratorSettings.defaults().nonAccessShare();

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
        if (lines < 0 || !(rate >= 0)) {
            throw new ParameterException(spec.commandLine(), "--lines and --rate must be >= 0");
        }
        try {
            return GeneratorSettings.defaults()
                    .withSeed(seed)
                    .withStart(start.equals("now") ? Instant.now() : Instant.parse(start))
                    .withLinesPerSecond(logRate != null ? logRate : rate > 0 ? rate : 1_000)
                    .withShares(malformedShare, nonAccessShare);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
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
