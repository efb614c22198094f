package dev.caddylightstep.ship;

import dev.caddylightstep.cli.ShipCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** {@code ship} run through its command line in a thread of the test's JVM, stopped as SIGTERM would. */
final class InProcessShipper implements AutoCloseable {
    private final ShipCommand command = new ShipCommand();
    private final StringWriter stderr = new StringWriter();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private InProcessShipper(String... args) {
        CommandLine commandLine = new CommandLine(command);
        PrintWriter err = new PrintWriter(stderr, true);
        commandLine.setErr(err);
        Thread thread = new Thread(() -> exit.complete(commandLine.execute(args)), "test-shipper");
        thread.setDaemon(true);
        thread.start();
    }

    static InProcessShipper start(String... args) {
        return new InProcessShipper(args);
    }

    /** Runs to completion (for commands that fail at start) and returns the exit code. */
    static Result run(String... args) throws Exception {
        InProcessShipper shipper = new InProcessShipper(args);
        int code = shipper.exit.get(60, TimeUnit.SECONDS);
        return new Result(code, shipper.stderr());
    }

    record Result(int exitCode, String stderr) {
    }

    ShipCommand command() {
        return command;
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    /** Waits for a net-mode shipper to listen. */
    InetSocketAddress awaitListening(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            InetSocketAddress address = command.listeningOn();
            if (address != null) {
                return address;
            }
            if (exit.isDone()) {
                throw new AssertionError("the shipper exited: " + stderr());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the shipper did not listen within " + timeout + ": " + stderr());
    }

    /** Waits until a file-mode shipper has opened the log and written its first checkpoint (default location). */
    InProcessShipper awaitFollowing(Path log) throws InterruptedException {
        Path checkpoint = Checkpoint.defaultFor(log);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(checkpoint)) {
            if (exit.isDone() || System.nanoTime() > deadline) {
                throw new AssertionError("the shipper did not start following " + log + ": " + stderr());
            }
            Thread.sleep(10);
        }
        return this;
    }

    /** Stops as SIGTERM does and returns the exit code. */
    int stop() throws Exception {
        command.stop();
        return exit.get(60, TimeUnit.SECONDS);
    }

    boolean exited() {
        return exit.isDone();
    }

    @Override
    public void close() throws Exception {
        if (!exit.isDone()) {
            stop();
        }
    }
}
