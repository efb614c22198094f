package dev.caddylightstep.demo;

import dev.caddylightstep.ship.ShipCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * A Caddy log file followed like tail -F by the built-in shipper, from its first line, through Caddy's
 * rotation, every line exactly once.
 */
final class FollowedLog implements LineSource {
    private final Path log;
    private final ShipCommand ship = new ShipCommand();
    private final CommandLine command = new CommandLine(ship);
    private final String[] args;
    private volatile long lastLines;
    private volatile long lastLineNanos = System.nanoTime();
    private volatile Integer exitCode;

    FollowedLog(Path log, Path checkpoint, String bootstrapServers, Map<String, String> topics) {
        this.log = log;
        List<String> arguments = new ArrayList<>(List.of("--file", log.toString(), "--from-beginning",
                "--checkpoint", checkpoint.toString(), "--bootstrap-servers", bootstrapServers, "--progress-interval", "0"));
        topics.forEach((key, value) -> arguments.addAll(List.of("--set", key + "=" + value)));
        this.args = arguments.toArray(String[]::new);
    }

    @Override
    public void run() {
        exitCode = command.execute(args);
    }

    /** Lines Kafka acknowledged: on the access topic, or (longer than the shipper's limit) on the dead-letter topic. */
    @Override
    public long lines() {
        // a line too long to ship is still a line of the log, and its dead letter is its place: counted in the
        // summary's dead_letters, so it must be in lines= too, or the reconciliation is short by one for each
        long lines = ship.metrics().lines() + ship.metrics().deadLetters();
        if (lines != lastLines) {
            lastLines = lines;
            lastLineNanos = System.nanoTime();
        }
        return lines;
    }

    @Override
    public boolean caughtUp() {
        lines();
        return exitCode == null && ship.metrics().lagBytes() == 0;
    }

    @Override
    public long lastLineNanos() {
        lines();
        return lastLineNanos;
    }

    @Override
    public String description() {
        return log + ", followed like tail -F through Caddy's rotation, every line once";
    }

    @Override
    public String failure() {
        Integer code = exitCode;
        return code != null && code != 0 ? "the shipper of " + log + " stopped (exit code " + code + ", its error is above)" : null;
    }

    @Override
    public void close() {
        ship.stop();
    }
}
