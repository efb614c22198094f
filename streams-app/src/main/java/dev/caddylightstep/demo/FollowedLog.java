package dev.caddylightstep.demo;

import dev.caddylightstep.ship.ShipException;
import dev.caddylightstep.ship.ShipOptions;
import dev.caddylightstep.ship.Shipper;
import dev.caddylightstep.topics.TopicNames;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A Caddy log file followed like tail -F by the built-in shipper, from its first line, through Caddy's
 * rotation, every line exactly once.
 */
final class FollowedLog implements LineSource {
    private final Path log;
    private final Shipper shipper;
    private volatile long lastLines;
    private volatile long lastLineNanos = System.nanoTime();
    private volatile boolean finished;
    private volatile String failure;

    FollowedLog(Path log, Path checkpoint, Map<String, Object> kafka, TopicNames topics, Duration maxClockSkew) {
        this.log = log;
        this.shipper = new Shipper(new ShipOptions(kafka, topics.access(), topics.accessDeadLetters(), log, null, checkpoint, null,
                ShipOptions.DEFAULT_MAX_LINE_BYTES, true, ShipOptions.DEFAULT_MAX_PENDING_LINES, 1, Duration.ofMinutes(1), Duration.ZERO,
                maxClockSkew));
    }

    @Override
    public void run() {
        try {
            shipper.run(new PrintWriter(Writer.nullWriter()));
        } catch (ShipException e) {
            failure = "the shipper of " + log + " stopped: " + e.getMessage();
        } finally {
            finished = true;
        }
    }

    /** Lines Kafka acknowledged: on the access topic, or (longer than the shipper's limit) on the dead-letter topic. */
    @Override
    public long lines() {
        // a line too long to ship is still a line of the log, and its dead letter is its place: counted in the
        // summary's dead_letters, so it must be in lines= too, or the reconciliation is short by one for each
        long lines = shipper.metrics().lines() + shipper.metrics().deadLetters();
        if (lines != lastLines) {
            lastLines = lines;
            lastLineNanos = System.nanoTime();
        }
        return lines;
    }

    @Override
    public boolean caughtUp() {
        lines();
        return !finished && shipper.metrics().lagBytes() == 0;
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
        return failure;
    }

    @Override
    public void stop() {
        shipper.stop();
    }

    /** The shipper closes what it opened as its run returns. */
    @Override
    public void close() {
        stop();
    }
}
