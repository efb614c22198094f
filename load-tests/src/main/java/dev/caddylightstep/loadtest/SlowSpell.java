package dev.caddylightstep.loadtest;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A span of log time in which every request of some users is slower than a latency: what a backend that slows down
 * for one group looks like in the log, to exercise that group's latency objective. A request logged in the span takes
 * {@code slowerThan} plus what it would have taken, so that the rest of the log (every other byte, and the random
 * draws) stays what the same seed gives without it.
 *
 * @param users the {@link BasicAuthUsers#KNOWN} users whose requests slow down
 * @param from the log time (Caddy's ts) of the first slow request
 * @param length how long it lasts: requests logged in [from, from + length) are slow
 * @param slowerThan every request in it takes longer than this
 */
public record SlowSpell(List<String> users, Instant from, Duration length, Duration slowerThan) {
    public SlowSpell {
        users = List.copyOf(users);
        for (String user : users) {
            if (!BasicAuthUsers.KNOWN.contains(user)) {
                throw new IllegalArgumentException("a slow spell's users are among " + BasicAuthUsers.KNOWN + ", not " + user);
            }
        }
        if (from == null || length == null || length.isNegative() || slowerThan == null || slowerThan.isNegative()) {
            throw new IllegalArgumentException("a slow spell needs a start, and a length and a latency >= 0");
        }
    }

    long fromEpochNanos() {
        return nanos(from);
    }

    long untilEpochNanos() {
        return nanos(from.plus(length));
    }

    /** By index into {@link BasicAuthUsers#KNOWN}: whether that user's requests slow down. */
    boolean[] slowUsers() {
        boolean[] slow = new boolean[BasicAuthUsers.KNOWN.size()];
        users.forEach(user -> slow[BasicAuthUsers.KNOWN.indexOf(user)] = true);
        return slow;
    }

    private static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }
}
