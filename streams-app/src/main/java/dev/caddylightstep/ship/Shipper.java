package dev.caddylightstep.ship;

import dev.caddylightstep.console.ProgressLine;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves Caddy's JSON access log into the access topic, from a log file (through Caddy's rotations, resuming from a
 * checkpoint) or from Caddy's {@code net} log writer, until {@link #stop()}. Fails with a one-line {@link ShipException}
 * when it cannot start or cannot go on.
 *
 * <p>In file mode a restart, or kill -9, loses no line and repeats at most {@code maxPendingLines} lines: no more lines
 * than that are ever sent to Kafka and not yet covered by the checkpoint on disk; the checkpoint is written after Kafka
 * acknowledged the lines before it, once half of that window is acknowledged or one second after the previous write, and
 * at a clean stop, after which nothing is repeated.
 */
public final class Shipper {
    private static final Logger LOG = LoggerFactory.getLogger(Shipper.class);
    /** What follows ".NAME" in the default checkpoint of the log NAME. */
    public static final String CHECKPOINT_SUFFIX = Checkpoint.SUFFIX;

    private final ShipOptions options;
    private final ShipMetrics metrics = new ShipMetrics();
    private volatile boolean stopping;
    private volatile FileShipping fileShipping;
    private volatile Thread runner;
    private volatile NetListener netListener;

    public Shipper(ShipOptions options) {
        this.options = options;
    }

    /** Ships until stopped; progress lines, if any, go to {@code err}. */
    public void run(PrintWriter err) {
        runner = Thread.currentThread();
        if (options.file() != null) {
            shipFile(err);
        } else {
            shipNet(err);
        }
    }

    /** The shipper's counters, to bind to a Micrometer registry before {@link #run}. */
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

    /** Where a net-mode shipper listens, once it does. */
    public InetSocketAddress listeningOn() {
        NetListener listener = netListener;
        return listener == null ? null : listener.address();
    }

    private LineProducer producer() {
        return new LineProducer(options.kafka(), options.accessTopic(), options.deadLetterTopic(), options.keyField(), options.maxLineBytes(),
                options.maxClockSkew(), metrics);
    }

    private void shipFile(PrintWriter err) {
        Path log = options.file().toAbsolutePath();
        try (Checkpoint checkpoint = new Checkpoint(options.checkpoint() != null ? options.checkpoint() : Checkpoint.defaultFor(log))) {
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
                LineProducer.verifyTopics(options.kafka(), List.of(options.accessTopic(), options.deadLetterTopic()));
                try (LineProducer producer = producer()) {
                    FileShipping shipping = new FileShipping(log, follower, producer, checkpoint, options.maxPendingLines(), metrics);
                    fileShipping = shipping;
                    if (stopping) {
                        return;
                    }
                    LOG.info("shipping {} to topic {} (checkpoint {})", log, options.accessTopic(), checkpoint.file());
                    try (ProgressLine progress = progress(err)) {
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
                return LogFollower.start(log, options.maxLineBytes(), options.fromBeginning());
            }
            if (!saved.get().log().equals(log)) {
                throw new ShipException("checkpoint " + checkpoint.file() + " belongs to " + saved.get().log() + ", not to --file " + log
                        + ": pass another --checkpoint");
            }
            if (options.fromBeginning()) {
                LOG.info("--from-beginning ignored: checkpoint {} exists (delete it to start again)", checkpoint.file());
            }
            return LogFollower.resume(log, options.maxLineBytes(), saved.get().position(), saved.get().written());
        } catch (IOException e) {
            throw new ShipException("cannot read " + log + ": " + Checkpoint.reason(e), e);
        }
    }

    private void shipNet(PrintWriter err) {
        InetSocketAddress address = options.listen();
        LineProducer.verifyTopics(options.kafka(), List.of(options.accessTopic(), options.deadLetterTopic()));
        try (LineProducer producer = producer()) {
            NetListener listener;
            try {
                listener = new NetListener(address, producer, options.maxLineBytes(), options.maxConnections(), options.idleTimeout(), metrics);
            } catch (IOException e) {
                throw new ShipException("cannot listen on " + address + ": " + LineProducer.rootMessage(e));
            }
            netListener = listener;
            try (listener; ProgressLine progress = progress(err)) {
                metrics.connections(listener::openConnections);
                listener.start();
                LOG.info("listening on {} for Caddy's net log writer, shipping to topic {} (at most {} connections, closed after {} idle mid-line)",
                        listener.address(), options.accessTopic(), options.maxConnections(), options.idleTimeout());
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

    /** The progress line every progressEvery (redrawn in place on a terminal); null for none. */
    private ProgressLine progress(PrintWriter err) {
        if (options.progressEvery().isZero()) {
            return null;
        }
        metrics.progressLine();
        return ProgressLine.start(err, "", options.progressEvery(), metrics::progressLine);
    }
}
