package dev.caddylightstep.forward;

import java.util.HashMap;
import java.util.Map;

/**
 * At most one log line a minute for each kind of failure: one that repeats on every batch or every Kafka operation
 * until an operator acts, or until Kafka is back, would otherwise fill the log. Only the forwarder's thread uses it.
 */
final class LogLimit<K> {
    private static final long INTERVAL_MILLIS = 60_000;

    private final Map<K, Long> lastLogged = new HashMap<>();

    /** Whether a line about this kind may be written now; if so, the next one waits a minute. */
    boolean allows(K kind) {
        long now = System.currentTimeMillis();
        if (now - lastLogged.getOrDefault(kind, Long.MIN_VALUE / 2) < INTERVAL_MILLIS) {
            return false;
        }
        lastLogged.put(kind, now);
        return true;
    }
}
