package dev.caddylightstep.forward;

import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises the forwarder's Kafka operations: a failure that passes by itself (the group coordinator away or moving,
 * a broker restarting, a rebalance) is counted in caddy_forward_kafka_retries_total and waited out with a backoff, and
 * the forwarder is not ready until Kafka answers again. Any other failure is not this class's to retry.
 */
final class KafkaRetry {
    /** The forwarder's lines keep the forwarder's name whichever of its classes writes them. */
    private static final Logger LOG = LoggerFactory.getLogger(SpanForwarder.class);

    private final Backoff backoffs;
    private final Counter retries;
    private final LogLimit<Class<?>> logLimit = new LogLimit<>();
    /** Counted down by {@link #stop()}, so that a backoff ends at once. */
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private Duration backoff = Backoff.FIRST;
    /** Set while a Kafka failure is being retried; readiness is false meanwhile. */
    private volatile boolean retrying;

    KafkaRetry(Backoff backoffs, Counter retries) {
        this.backoffs = backoffs;
        this.retries = retries;
    }

    /**
     * A failure that passes by itself: the group coordinator away or moving, a broker restarting, a rebalance. The
     * consumer wraps what a rebalance callback threw in a plain KafkaException: its cause decides.
     */
    static boolean passes(Throwable e) {
        if (e instanceof RetriableException || e instanceof CommitFailedException || e instanceof RebalanceInProgressException) {
            return true;
        }
        return e.getClass() == KafkaException.class && e.getCause() != null && e.getCause() != e && passes(e.getCause());
    }

    /** One turn of a forwarder's loop. */
    interface Step {
        void run() throws InterruptedException;
    }

    /**
     * A forwarder's loop: the step again and again while {@code running} says so. A wakeup is close() asking while the
     * consumer was busy; a Kafka failure once stopping ends the loop (a dead letter given up on because the forwarder
     * stops: its record stays uncommitted); one that passes is waited out; any other is thrown.
     */
    void repeat(BooleanSupplier running, Step step) throws InterruptedException {
        while (running.getAsBoolean()) {
            try {
                step.run();
            } catch (WakeupException e) {
                // close() asked while the consumer was busy
            } catch (KafkaException e) {
                if (!running.getAsBoolean()) {
                    return;
                }
                if (!passes(e)) {
                    throw e;
                }
                await(e);
            }
        }
    }

    /** Counts a Kafka failure that passes, says so (at most once a minute for each kind), and waits out a backoff. */
    void await(Throwable failure) throws InterruptedException {
        long jittered = Backoff.jitteredMillis(backoff);
        note(failure, "retrying in about " + jittered + " ms");
        backoff = backoffs.next(backoff);
        stopRequested.await(jittered, TimeUnit.MILLISECONDS);
    }

    /**
     * Counts a Kafka failure that passes, and says so (at most once a minute for each kind) with what the forwarder does
     * next; it is not ready until Kafka answers again.
     */
    void note(Throwable failure, String next) {
        retries.increment();
        retrying = true;
        if (logLimit.allows(failure.getClass())) {
            LOG.warn("the forwarder's Kafka operation failed ({}: {}); {}, nothing is lost", failure.getClass().getSimpleName(),
                    failure.getMessage(), next);
        }
    }

    /** Kafka answered again after failures that were retried. */
    void answered() {
        if (retrying) {
            retrying = false;
            backoff = Backoff.FIRST;
            LOG.info("the forwarder's Kafka operations succeed again");
        }
    }

    boolean isRetrying() {
        return retrying;
    }

    /** Ends the backoff under way, and every one after it, at once: the forwarder is stopping. */
    void stop() {
        stopRequested.countDown();
    }
}
