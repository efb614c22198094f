package dev.caddylightstep.testing.browser;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The machine's Chromium, run headless once per call with a fresh profile, for tests that look at a
 * page the way a person would: its DOM after scripts ran, or a screenshot.
 */
public final class HeadlessChromium {

    /** Debian's package puts its launcher here; {@code $CHROMIUM} names another. */
    private static final Path DEFAULT_EXECUTABLE = Path.of("/usr/bin/chromium");

    // Without the background-networking flags Chromium keeps calling home, which on a closed
    // network means a stream of failing connections for every run.
    private static final List<String> FLAGS = List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync");

    /** Start-up, page load outside virtual time and shutdown; a browser that takes longer is hung. */
    private static final Duration ALLOWANCE = Duration.ofSeconds(60);

    private static final int STDERR_TAIL_CHARS = 2_000;

    private final Path executable;

    private HeadlessChromium(Path executable) {
        this.executable = executable;
    }

    /** The Chromium named by {@code $CHROMIUM}, else {@code /usr/bin/chromium}, if it can be run. */
    public static Optional<HeadlessChromium> find() {
        String configured = System.getenv("CHROMIUM");
        Path candidate = configured == null || configured.isBlank() ? DEFAULT_EXECUTABLE : Path.of(configured);
        return Files.isExecutable(candidate) ? Optional.of(new HeadlessChromium(candidate)) : Optional.empty();
    }

    /** The installed Chromium, or the calling test is skipped (not failed) where there is none. */
    public static HeadlessChromium assumeInstalled() {
        Optional<HeadlessChromium> chromium = find();
        assumeTrue(chromium.isPresent(),
                "no Chromium at $CHROMIUM or " + DEFAULT_EXECUTABLE + " (apt-get install chromium)");
        return chromium.get();
    }

    /**
     * The page's DOM as serialized after {@code virtualTimeBudget} of virtual time: timers (a page's
     * polling) run that long, while time spent waiting on the network does not count.
     */
    public String dumpDom(URI url, Duration virtualTimeBudget) {
        List<String> arguments = List.of(
                "--virtual-time-budget=" + virtualTimeBudget.toMillis(),
                "--dump-dom",
                url.toString());
        return run(arguments, virtualTimeBudget);
    }

    /** Writes a PNG of the page's first {@code width} × {@code height} pixels after {@code budget}. */
    public Path screenshot(URI url, Path png, int width, int height, Duration budget) {
        Path target = png.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + target, e);
        }
        List<String> arguments = List.of(
                "--window-size=" + width + "," + height,
                "--force-device-scale-factor=1",
                "--hide-scrollbars",
                "--virtual-time-budget=" + budget.toMillis(),
                "--screenshot=" + target,
                url.toString());
        run(arguments, budget);
        if (!Files.isRegularFile(target)) {
            throw new IllegalStateException("Chromium exited without writing " + target);
        }
        return target;
    }

    private String run(List<String> arguments, Duration budget) {
        Path workspace = createTempDirectory();
        try {
            return run(arguments, budget, workspace);
        } finally {
            deleteRecursively(workspace);
        }
    }

    private String run(List<String> arguments, Duration budget, Path workspace) {
        Path stdout = workspace.resolve("stdout");
        Path stderr = workspace.resolve("stderr");
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(FLAGS);
        command.add("--user-data-dir=" + workspace.resolve("profile"));
        command.addAll(arguments);

        Process process = start(new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile()));
        Duration timeout = budget.plus(ALLOWANCE);
        if (!waitFor(process, timeout)) {
            kill(process);
            throw new IllegalStateException("Chromium did not finish within " + timeout + "; stderr ends:\n"
                    + tail(stderr));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("Chromium exited with " + process.exitValue() + "; stderr ends:\n"
                    + tail(stderr));
        }
        return read(stdout);
    }

    private static Process start(ProcessBuilder builder) {
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + builder.command().get(0), e);
        }
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Chromium was running", e);
        }
    }

    /** Chromium's renderer and utility processes outlive a killed browser unless ended first. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Path createTempDirectory() {
        try {
            return Files.createTempDirectory("headless-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a profile directory", e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String tail(Path file) {
        String text = Files.isRegularFile(file) ? read(file) : "";
        return text.length() <= STDERR_TAIL_CHARS ? text : text.substring(text.length() - STDERR_TAIL_CHARS);
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(HeadlessChromium::deleteQuietly);
        } catch (IOException e) {
            // A leftover profile in the temp folder is harmless; the test's result is what matters.
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // See deleteRecursively.
        }
    }
}
