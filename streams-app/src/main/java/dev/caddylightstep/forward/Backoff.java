package dev.caddylightstep.forward;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long the forwarder waits after a failed export or a Kafka failure: from 200 ms, doubled after each failure up to
 * caddy.forward.max-backoff, and each wait drawn between half of it and all of it, so that forwarders that failed
 * together do not all try again at the same moment.
 */
final class Backoff {
    static final Duration FIRST = Duration.ofMillis(200);

    private final Duration max;

    Backoff(Duration max) {
        this.max = max;
    }

    /** The backoff after one more failure. */
    Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(max) > 0 ? max : doubled;
    }

    /** The wait itself, in milliseconds. */
    static long jitteredMillis(Duration backoff) {
        return ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2, backoff.toMillis() + 1);
    }
}
