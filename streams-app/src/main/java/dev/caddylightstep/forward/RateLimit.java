package dev.caddylightstep.forward;

/**
 * caddy.forward.max-spans-per-second: keeps the forwarder under a backend's documented ingest rate. A request goes once
 * the spans before it have had their share of time; it does not wait on the forwarder's thread, which meanwhile polls
 * (a wait of batch-size spans at a low rate is minutes, past the consumer's max.poll.interval.ms) and stops when asked.
 */
final class RateLimit {
    private final int perSecond;
    private long nextFreeNanos = System.nanoTime();

    RateLimit(int perSecond) {
        this.perSecond = perSecond;
    }

    /**
     * How long a request of {@code spans} must wait from {@code now} (System.nanoTime()); 0 when it may go now, and then
     * it takes its share of the time.
     */
    long reserve(int spans, long now) {
        if (perSecond <= 0) {
            return 0;
        }
        long wait = nextFreeNanos - now;
        if (wait > 0) {
            return wait;
        }
        nextFreeNanos = now + spans * 1_000_000_000L / perSecond;
        return 0;
    }
}
