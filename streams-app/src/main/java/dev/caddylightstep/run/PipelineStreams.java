package dev.caddylightstep.run;

import dev.caddylightstep.config.PipelineConfig;
import dev.caddylightstep.topology.PipelineTopology;
import dev.caddylightstep.topology.StreamsProperties;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
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

    public PipelineStreams(PipelineConfig config) {
        this(config, StreamsProperties.of(config));
    }

    public PipelineStreams(PipelineConfig config, Properties properties) {
        this.streams = new KafkaStreams(PipelineTopology.build(config), properties);
        streams.setStateListener((now, before) -> {
            LOG.info("streams {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        // an exception that escaped the dead-letter handlers is a bug or a broker fault: a fresh thread
        // resumes from the last committed transaction, so nothing is lost and nothing counted twice
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("a stream thread failed; replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
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

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
    }
}
