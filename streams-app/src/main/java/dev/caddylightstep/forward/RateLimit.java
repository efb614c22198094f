package dev.caddylightstep.forward;

/** caddy.forward.max-spans-per-second: keeps the forwarder under a backend's documented ingest rate. */
final class RateLimit {
    private final int perSecond;
    private long nextFreeNanos = System.nanoTime();

    RateLimit(int perSecond) {
        this.perSecond = perSecond;
    }

    void acquire(int spans, ForwarderMetrics metrics) throws InterruptedException {
        if (perSecond <= 0) {
            return;
        }
        long now = System.nanoTime();
        long start = Math.max(now, nextFreeNanos);
        nextFreeNanos = start + spans * 1_000_000_000L / perSecond;
        long wait = start - now;
        if (wait > 0) {
            metrics.rateLimited.increment(wait / 1e9);
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
