package dev.caddylightstep.loadtest.soak;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One process of the soak (the broker, an instance, the shipper, the receiver) through its restarts: each start is a
 * new JVM whose output goes to a log file of its own under the run's directory. It remembers the highest peak RSS of
 * its incarnations and every exit that nobody asked for.
 */
final class ChildProcess {
    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path logDir;
    private final List<Path> logs = new ArrayList<>();
    private final List<String> unexpectedExits = new ArrayList<>();
    private Process process;
    private boolean down = true;
    private long peakRssKb;

    ChildProcess(String name, List<String> command, Map<String, String> environment, Path logDir) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.logDir = logDir;
    }

    String name() {
        return name;
    }

    synchronized ChildProcess start() {
        Path log = logDir.resolve(name + "." + (logs.size() + 1) + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // the soak's settings only: a KAFKA_, CADDY_ or OTEL_ variable of the caller's shell, or a Lightstep token, would
        // change what is measured or send the soak's spans elsewhere
        builder.environment().keySet().removeIf(key -> key.startsWith("KAFKA_") || key.startsWith("CADDY_")
                || key.startsWith("OTEL_") || key.equals("LS_ACCESS_TOKEN"));
        builder.environment().putAll(environment);
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
        logs.add(log);
        down = false;
        return this;
    }

    /** SIGKILL, as a crash or an OOM killer would: no shutdown hook, no commit, no flush. */
    void kill() {
        Process stopping = markDown();
        if (stopping == null) {
            return;
        }
        stopping.destroyForcibly();
        awaitExit(stopping, Duration.ofSeconds(30));
    }

    /**
     * SIGTERM, a clean stop; SIGKILL if it has not ended after {@code grace}. Returns whether it stopped in time. The
     * wait holds no lock: a broker's controlled shutdown may take a minute, in which the soak still samples and supervises.
     */
    boolean stop(Duration grace) {
        Process stopping = markDown();
        if (stopping == null) {
            return true;
        }
        stopping.destroy();
        if (awaitExit(stopping, grace)) {
            return true;
        }
        stopping.destroyForcibly();
        awaitExit(stopping, Duration.ofSeconds(30));
        return false;
    }

    /** Marks the process as stopped on purpose and returns it if it runs, its memory sampled a last time. */
    private synchronized Process markDown() {
        down = true;
        if (process == null || !process.isAlive()) {
            return null;
        }
        sampleMemory();
        return process;
    }

    /** Starts the process again if it ended while nobody had stopped it, and says so in {@link #unexpectedExits()}. */
    synchronized boolean restartIfEnded(String when) {
        if (down || process == null || process.isAlive()) {
            return false;
        }
        unexpectedExits.add(name + " exited by itself with code " + process.exitValue() + " at " + when + " (log " + logs.get(logs.size() - 1) + ")");
        start();
        return true;
    }

    /** Waits for a process that ends by itself (a one-shot command) and returns its exit code; -1 after the timeout. */
    int awaitExitCode(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            synchronized (this) {
                down = true;
            }
        }
    }

    /** Waits until {@code condition} holds; throws if the process ends first or {@code timeout} passes. */
    void await(BooleanSupplier condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!isAlive()) {
                throw new IllegalStateException(name + " ended before " + what + "; its log: " + lastLog());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not " + what + " after " + timeout.toSeconds() + " s; its log: " + lastLog());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name);
            }
        }
    }

    /** Waits until the current incarnation has written {@code marker}. */
    void awaitOutput(String marker, String what, Duration timeout) {
        await(() -> currentOutput().contains(marker), what, timeout);
    }

    private synchronized Path lastLog() {
        return logs.get(logs.size() - 1);
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Reads the running process's peak resident set (VmHWM), which the kernel keeps until the process ends. */
    synchronized void sampleMemory() {
        if (process != null && process.isAlive()) {
            peakRssKb = Math.max(peakRssKb, ResidentMemory.peakKb(process.pid()));
        }
    }

    synchronized long peakRssKb() {
        return peakRssKb;
    }

    synchronized List<String> unexpectedExits() {
        return List.copyOf(unexpectedExits);
    }

    synchronized List<Path> logs() {
        return List.copyOf(logs);
    }

    /** The output of the current incarnation so far. */
    synchronized String currentOutput() {
        if (logs.isEmpty()) {
            return "";
        }
        try {
            return Files.readString(logs.get(logs.size() - 1));
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean awaitExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
