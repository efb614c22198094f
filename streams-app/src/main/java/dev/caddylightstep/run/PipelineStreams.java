package dev.caddylightstep.run;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.topology.PipelineTopology;
import dev.caddylightstep.topology.StreamsProperties;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology running as a Kafka Streams application: one per process, scaled by running more processes
 * with the same application.id.
 */
public final class PipelineStreams implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineStreams.class);

    private final KafkaStreams streams;
    private final CountDownLatch running = new CountDownLatch(1);
    /**
     * What a stream thread (or the global one) died of, the first fatal failure before any later exception, for the line
     * that says why the streams stopped.
     */
    private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    private volatile boolean closing;

    public PipelineStreams(PipelineConfig config) {
        this(config, StreamsProperties.of(config));
    }

    /** Streams whose failure for good is only logged: they end in state ERROR, and {@link #isAlive()} says so. */
    public PipelineStreams(PipelineConfig config, Properties properties) {
        this(config, properties, (reason, cause) -> LOG.error("{}", reason));
    }

    /** Streams that report to {@code fatal} when they fail for good (once they are in state ERROR). */
    public PipelineStreams(PipelineConfig config, Properties properties, FatalFailure fatal) {
        this.streams = new KafkaStreams(PipelineTopology.build(PartitionCounts.of(config)), properties);
        streams.setStateListener((now, before) -> {
            LOG.info("streams {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
            if (now == KafkaStreams.State.ERROR) {
                Throwable cause = lastFailure.get();
                fatal.occurred("Kafka Streams stopped: " + (cause == null ? "its last stream thread failed (the log says why)"
                        : "a stream thread failed with " + FatalFailure.oneLine(decisive(cause))), cause);
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            lastFailure.updateAndGet(before -> before != null && isFatal(before) ? before : e);
            if (isFatal(e)) {
                // an Error (out of memory) or a credential Kafka refuses: a fresh thread would read the same offsets and fail
                // the same way, forever, while the process looks alive
                LOG.debug("a stream thread failed for good", e);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            // an exception that escaped the dead-letter handlers is a bug or a broker fault: a fresh thread resumes from
            // the last committed transaction, so nothing is lost and nothing counted twice
            LOG.error("a stream thread failed; replacing it: {}", e.toString(), e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    private static boolean isFatal(Throwable e) {
        Throwable decisive = decisive(e);
        return decisive instanceof Error || decisive instanceof AuthorizationException || decisive instanceof AuthenticationException;
    }

    /** The cause that decides: an Error or a security failure anywhere in the chain, else the exception itself. */
    private static Throwable decisive(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Error || t instanceof AuthorizationException || t instanceof AuthenticationException) {
                return t;
            }
        }
        return e;
    }

    public PipelineStreams start() {
        streams.start();
        return this;
    }

    /** Waits until the application has its tasks and is processing; false on timeout. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams streams() {
        return streams;
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /**
     * False once the streams have failed for good (state ERROR, or on the way there) or stopped without being closed.
     * A stream thread replaced after an exception is not a failure.
     */
    public boolean isAlive() {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.PENDING_ERROR || state == KafkaStreams.State.ERROR) {
            return false;
        }
        return closing || (state != KafkaStreams.State.PENDING_SHUTDOWN && state != KafkaStreams.State.NOT_RUNNING);
    }

    @Override
    public void close() {
        closing = true;
        streams.close(Duration.ofSeconds(30));
    }
}
