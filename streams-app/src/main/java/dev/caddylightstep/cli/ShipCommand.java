package dev.caddylightstep.cli;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.ship.ShipException;
import dev.caddylightstep.ship.ShipMetrics;
import dev.caddylightstep.ship.ShipOptions;
import dev.caddylightstep.ship.Shipper;
import dev.caddylightstep.topics.TopicNames;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code caddy-lightstep ship}: the command line of the {@link Shipper}. Returns 0 after a clean stop (SIGTERM, Ctrl-C)
 * and 1, after one line on stderr that names what and where, when it cannot start or cannot go on.
 */
@Command(name = "ship", sortOptions = false,
        description = {
            "Ships Caddy's JSON access log into Kafka, one record per line, losing none and repeating few.",
            "File mode follows a log file through Caddy's rolling (rename, new file, gzip) and resumes from a checkpoint;",
            "net mode listens for Caddy's `output net` log writer. See connectors/README.md."})
public final class ShipCommand implements Callable<Integer> {
    private static final String CHECKPOINT_SUFFIX = Shipper.CHECKPOINT_SUFFIX;

    @Mixin
    SettingsOptions settingsOptions = new SettingsOptions();

    @Option(names = "--file", paramLabel = "PATH",
            description = "The Caddy log file to follow (the live name, e.g. /var/log/caddy/access.log).")
    Path file;

    @Option(names = "--listen", paramLabel = "[HOST:]PORT",
            description = {"Listen for Caddy's net log writer (`output net HOST:PORT`) instead of following a file.",
                "A port alone (5140 or :5140) listens on 127.0.0.1 only; to take other hosts' lines, name the address, "
                        + "e.g. 0.0.0.0:5140 for every IPv4 interface. Whoever reaches the port can send lines: there is no authentication."})
    String listen;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "64",
            description = "Net mode: connections served at once. One more is closed as soon as it is accepted, "
                    + "counted and logged (one warning every 10 s at most) (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "1m",
            description = "Net mode: a connection that stops in the middle of a line for this long is closed, e.g. 30s, 1m, 1h; "
                    + "its piece is dead-lettered as truncated. A connection idle between lines stays open: Caddy's net writer "
                    + "writes whole lines and keeps its connection, and Caddy 2.6.2 loses the first line it writes after a close "
                    + "(default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--topic", paramLabel = "TOPIC",
            description = "Topic for the lines (default: the setting caddy.topic.access, caddy.access).")
    String topic;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "File mode: where the position is kept (default: .NAME" + CHECKPOINT_SUFFIX + " next to the log file).")
    Path checkpointFile;

    @Option(names = "--key-field", paramLabel = "FIELD",
            description = "JSON field whose value becomes the record key, as a dotted path, e.g. request.host (default: no key).")
    String keyField;

    @Option(names = "--max-line-bytes", paramLabel = "N", defaultValue = "" + ShipOptions.DEFAULT_MAX_LINE_BYTES,
            description = "Longer lines go to the dead-letter topic (caddy.topic.access-dlq) with their position (default: ${DEFAULT-VALUE}).")
    int maxLineBytes;

    @Option(names = "--from-beginning",
            description = "File mode, first start (no checkpoint): ship the live file from its first line. "
                    + "Default: only lines written after the start. Ignored when a checkpoint exists.")
    boolean fromBeginning;

    @Option(names = "--max-pending-lines", paramLabel = "N", defaultValue = "" + ShipOptions.DEFAULT_MAX_PENDING_LINES,
            description = "File mode: lines sent but not yet checkpointed, at most; a restart repeats at most this many (default: ${DEFAULT-VALUE}).")
    int maxPendingLines;

    @Option(names = "--progress-interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between progress lines on stderr; 0 for none (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Shipper shipper;
    private volatile boolean stopRequested;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Thread hook = new Thread(this::stopAndWait, "ship-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Settings settings = settingsOptions.load();
            Shipper running = new Shipper(options(settings));
            shipper = running;
            if (!stopRequested) {
                running.run(err);
            }
            return 0;
        } catch (ShipException | ConfigException e) {
            err.println("ship: " + e.getMessage());
            err.flush();
            return 1;
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is what is stopping us
            }
        }
    }

    /** The running shipper's counters (for tests and the demo's progress), or none before it runs. */
    public ShipMetrics metrics() {
        Shipper running = shipper;
        return running == null ? new ShipMetrics() : running.metrics();
    }

    /** Where a net-mode shipper listens, once it does. */
    public InetSocketAddress listeningOn() {
        Shipper running = shipper;
        return running == null ? null : running.listeningOn();
    }

    /** Asks a running shipper to stop cleanly, as SIGTERM does. */
    public void stop() {
        stopRequested = true;
        Shipper running = shipper;
        if (running != null) {
            running.stop();
        }
    }

    private void stopAndWait() {
        stop();
        try {
            stopped.await(40, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ShipOptions options(Settings settings) {
        if (maxLineBytes < 1) {
            throw new ShipException("--max-line-bytes must be at least 1, not " + maxLineBytes);
        }
        if (maxPendingLines < 2) {
            throw new ShipException("--max-pending-lines must be at least 2, not " + maxPendingLines);
        }
        if (maxConnections < 1) {
            throw new ShipException("--max-connections must be at least 1, not " + maxConnections);
        }
        Duration idle = Settings.parseDuration(idleTimeout);
        if (idle == null || idle.compareTo(Duration.ofMillis(1)) < 0 || idle.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
            throw new ShipException("--idle-timeout " + idleTimeout + " is not a duration from 1ms to 24 days, such as 30s, 10m or 1h");
        }
        if (progressSeconds < 0) {
            throw new ShipException("--progress-interval must be 0 or more seconds, not " + progressSeconds);
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new ShipException("--file " + file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
        }
        TopicNames topics = settings.topicNames();
        return new ShipOptions(settings.kafka(), topic != null ? topic : topics.access(), topics.accessDeadLetters(), file,
                listen == null ? null : ShipOptions.listenAddress(listen), checkpointFile, keyField, maxLineBytes, fromBeginning,
                maxPendingLines, maxConnections, idle, Duration.ofSeconds(progressSeconds),
                settings.duration("caddy.log.max-clock-skew", Duration.ZERO));
    }
}
