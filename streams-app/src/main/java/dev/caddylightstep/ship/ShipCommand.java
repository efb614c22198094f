package dev.caddylightstep.ship;

import dev.caddylightstep.console.ProgressLine;
import dev.caddylightstep.cli.SettingsOptions;
import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code caddy-lightstep ship}: moves Caddy's JSON access log into the access topic, from a log file (through
 * Caddy's rotations, resuming from a checkpoint) or from Caddy's {@code net} log writer. Returns 0 after a
 * clean stop (SIGTERM, Ctrl-C) and 1, after one line on stderr that names what and where, when it cannot
 * start or cannot go on.
 *
 * <p>In file mode a restart, or kill -9, loses no line and repeats at most {@code --max-pending-lines} lines:
 * no more lines than that are ever sent to Kafka and not yet covered by the checkpoint on disk; the
 * checkpoint is written after Kafka acknowledged the lines before it, once half of that window is
 * acknowledged or one second after the previous write, and at a clean stop, after which nothing is repeated.
 */
@Command(name = "ship", sortOptions = false,
        description = {
            "Ships Caddy's JSON access log into Kafka, one record per line, losing none and repeating few.",
            "File mode follows a log file through Caddy's rolling (rename, new file, gzip) and resumes from a checkpoint;",
            "net mode listens for Caddy's `output net` log writer. See connectors/README.md."})
public final class ShipCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ShipCommand.class);
    static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
    private static final String LOOPBACK = "127.0.0.1";

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
                    + "counted and logged (one warning every " + NetListener.LOG_INTERVAL_SECONDS + " s at most) (default: ${DEFAULT-VALUE}).")
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
            description = "File mode: where the position is kept (default: .NAME" + Checkpoint.SUFFIX + " next to the log file).")
    Path checkpointFile;

    @Option(names = "--key-field", paramLabel = "FIELD",
            description = "JSON field whose value becomes the record key, as a dotted path, e.g. request.host (default: no key).")
    String keyField;

    @Option(names = "--max-line-bytes", paramLabel = "N", defaultValue = "" + DEFAULT_MAX_LINE_BYTES,
            description = "Longer lines go to the dead-letter topic (caddy.topic.access-dlq) with their position (default: ${DEFAULT-VALUE}).")
    int maxLineBytes;

    @Option(names = "--from-beginning",
            description = "File mode, first start (no checkpoint): ship the live file from its first line. "
                    + "Default: only lines written after the start. Ignored when a checkpoint exists.")
    boolean fromBeginning;

    @Option(names = "--max-pending-lines", paramLabel = "N", defaultValue = "10000",
            description = "File mode: lines sent but not yet checkpointed, at most; a restart repeats at most this many (default: ${DEFAULT-VALUE}).")
    int maxPendingLines;

    @Option(names = "--progress-interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between progress lines on stderr; 0 for none (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final ShipMetrics metrics = new ShipMetrics();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile FileShipping fileShipping;
    private volatile Thread runner;
    private volatile NetListener netListener;
    /** caddy.log.max-clock-skew: a line's ts further ahead of this shipper's clock is not the record's time. */
    private Duration maxClockSkew;
    /** --idle-timeout, parsed. */
    private Duration idleAfter;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        runner = Thread.currentThread();
        Thread hook = new Thread(this::stopAndWait, "ship-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            validate();
            Settings settings = settingsOptions.load();
            String accessTopic = topic != null ? topic : settings.string("caddy.topic.access");
            String deadLetterTopic = settings.string("caddy.topic.access-dlq");
            maxClockSkew = settings.duration("caddy.log.max-clock-skew", Duration.ZERO);
            if (file != null) {
                shipFile(settings, accessTopic, deadLetterTopic, metrics, err);
            } else {
                shipNet(settings, accessTopic, deadLetterTopic, metrics, err);
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

    /** The shipper's counters, to bind to a Micrometer registry before {@link #call()}. */
    public ShipMetrics metrics() {
        return metrics;
    }

    /** Asks a running shipper to stop cleanly, as SIGTERM does. */
    public void stop() {
        stopping = true;
        FileShipping shipping = fileShipping;
        if (shipping != null) {
            shipping.stop();
        }
        Thread thread = runner;
        if (thread != null) {
            LockSupport.unpark(thread);
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

    private void validate() {
        if ((file == null) == (listen == null)) {
            throw new ShipException("give exactly one of --file PATH or --listen HOST:PORT");
        }
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
        idleAfter = idle;
        if (progressSeconds < 0) {
            throw new ShipException("--progress-interval must be 0 or more seconds, not " + progressSeconds);
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new ShipException("--file " + file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
        }
    }

    private void shipFile(Settings settings, String accessTopic, String deadLetterTopic, ShipMetrics metrics, PrintWriter err) {
        Path log = file.toAbsolutePath();
        try (Checkpoint checkpoint = new Checkpoint(checkpointFile != null ? checkpointFile : Checkpoint.defaultFor(log))) {
            checkpoint.lock();
            LogFollower follower = open(log, checkpoint);
            try (follower) {
                // written before anything is shipped: proves the checkpoint writable, and a first start without
                // --from-beginning resumes where it began, not at a later end
                LogPosition start = follower.startPosition();
                if (start != null) {
                    checkpoint.write(log, start, Instant.now());
                    metrics.position(start.toString());
                }
                LineProducer.verifyTopics(settings.kafka(), List.of(accessTopic, deadLetterTopic));
                try (LineProducer producer = new LineProducer(settings.kafka(), accessTopic, deadLetterTopic, keyField, maxLineBytes, maxClockSkew, metrics)) {
                    FileShipping shipping = new FileShipping(log, follower, producer, checkpoint, maxPendingLines, metrics);
                    fileShipping = shipping;
                    if (stopping) {
                        return;
                    }
                    LOG.info("shipping {} to topic {} (checkpoint {})", log, accessTopic, checkpoint.file());
                    try (ProgressLine progress = progress(metrics, err)) {
                        shipping.run();
                    }
                }
            } catch (IOException e) {
                throw new ShipException("cannot read " + log + ": " + Checkpoint.reason(e), e);
            }
        }
    }

    private LogFollower open(Path log, Checkpoint checkpoint) {
        try {
            Optional<Checkpoint.Saved> saved = checkpoint.read();
            if (saved.isEmpty()) {
                return LogFollower.start(log, maxLineBytes, fromBeginning);
            }
            if (!saved.get().log().equals(log)) {
                throw new ShipException("checkpoint " + checkpoint.file() + " belongs to " + saved.get().log() + ", not to --file " + log
                        + ": pass another --checkpoint");
            }
            if (fromBeginning) {
                LOG.info("--from-beginning ignored: checkpoint {} exists (delete it to start again)", checkpoint.file());
            }
            return LogFollower.resume(log, maxLineBytes, saved.get().position(), saved.get().written());
        } catch (IOException e) {
            throw new ShipException("cannot read " + log + ": " + Checkpoint.reason(e), e);
        }
    }

    private void shipNet(Settings settings, String accessTopic, String deadLetterTopic, ShipMetrics metrics, PrintWriter err) {
        InetSocketAddress address = parseListen(listen);
        LineProducer.verifyTopics(settings.kafka(), List.of(accessTopic, deadLetterTopic));
        try (LineProducer producer = new LineProducer(settings.kafka(), accessTopic, deadLetterTopic, keyField, maxLineBytes, maxClockSkew, metrics)) {
            NetListener listener;
            try {
                listener = new NetListener(address, producer, maxLineBytes, maxConnections, idleAfter, metrics);
            } catch (IOException e) {
                throw new ShipException("cannot listen on " + listen + ": " + LineProducer.rootMessage(e));
            }
            netListener = listener;
            try (listener; ProgressLine progress = progress(metrics, err)) {
                metrics.connections(listener::openConnections);
                listener.start();
                LOG.info("listening on {} for Caddy's net log writer, shipping to topic {} (at most {} connections, closed after {} idle)",
                        listener.address(), accessTopic, maxConnections, idleTimeout);
                while (!stopping && producer.failure() == null) {
                    LockSupport.parkNanos(this, Duration.ofMillis(200).toNanos());
                }
            } catch (IOException e) {
                LOG.warn("closing {}: {}", address, e.getMessage());
            }
            if (producer.failure() != null) {
                throw new ShipException(producer.failure());
            }
        }
    }

    /** Where a net-mode shipper listens, once it does (for tests and logs). */
    InetSocketAddress listeningOn() {
        NetListener listener = netListener;
        return listener == null ? null : listener.address();
    }

    /**
     * {@code HOST:PORT}, {@code [IPV6]:PORT}, or the port alone ({@code 5140}, {@code :5140}) for 127.0.0.1: whoever
     * connects can send lines, so other hosts are let in only by naming an address that they can reach.
     */
    static InetSocketAddress parseListen(String value) {
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? "" : value.substring(0, colon);
        String portText = value.substring(colon + 1);
        if (portText.isEmpty()) {
            throw new ShipException("--listen " + value + " is not [HOST:]PORT");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(portText);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host.isEmpty() ? LOOPBACK : host, port);
        } catch (NumberFormatException e) {
            throw new ShipException("--listen " + value + ": the port is not a number from 0 to 65535");
        }
    }

    /** The periodic progress line on stderr, while the shipper runs. */

    /** The progress line every --progress-interval seconds (redrawn in place on a terminal); null for 0. */
    private ProgressLine progress(ShipMetrics metrics, PrintWriter err) {
        if (progressSeconds == 0) {
            return null;
        }
        metrics.progressLine();
        return ProgressLine.start(err, "", Duration.ofSeconds(progressSeconds), metrics::progressLine);
    }
}
