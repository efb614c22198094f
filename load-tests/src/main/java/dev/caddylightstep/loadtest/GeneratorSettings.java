package dev.caddylightstep.loadtest;

import java.time.Instant;

/**
 * Everything that decides a generated log: the same settings give the same bytes.
 *
 * @param seed seeds the one random generator all choices come from
 * @param start the log time of the first line
 * @param linesPerSecond mean rate in log time; gaps between lines are exponential (Poisson arrivals)
 * @param malformedShare lines a parser must reject, spread evenly over the malformed {@link LineKind}s
 * @param nonAccessShare lines of Caddy's other loggers
 * @param mix the requests of the access lines
 * @param slowSpell when some users' requests are all slow, or null for never
 */
public record GeneratorSettings(
        long seed,
        Instant start,
        double linesPerSecond,
        double malformedShare,
        double nonAccessShare,
        RequestMix mix,
        SlowSpell slowSpell,
        boolean authWarm) {

    public static final Instant DEFAULT_START = Instant.parse("2026-11-25T00:00:00Z");
    // zap writes ts as float seconds; before 2000 is surely a mistake, and the formatter needs more than 2^20 s
    private static final Instant EARLIEST_START = Instant.parse("2000-01-01T00:00:00Z");

    public GeneratorSettings {
        if (start == null || start.isBefore(EARLIEST_START)) {
            throw new IllegalArgumentException("start must be at or after " + EARLIEST_START + ", not " + start);
        }
        if (!(linesPerSecond > 0 && linesPerSecond <= 1e9)) {
            throw new IllegalArgumentException("linesPerSecond must be > 0 and <= 1e9, not " + linesPerSecond);
        }
        RequestMix.requireShare("malformedShare", malformedShare);
        RequestMix.requireShare("nonAccessShare", nonAccessShare);
        if (malformedShare + nonAccessShare > 1) {
            throw new IllegalArgumentException("malformedShare + nonAccessShare must be <= 1, not "
                    + (malformedShare + nonAccessShare));
        }
        if (mix == null) {
            throw new IllegalArgumentException("mix is required");
        }
    }

    /** Seed 1, 2026-11-25T00:00:00Z, 1,000 lines/s, 0.2 % malformed, 0.5 % other loggers, the default mix. */
    public static GeneratorSettings defaults() {
        return new GeneratorSettings(1, DEFAULT_START, 1_000, 0.002, 0.005, RequestMix.defaults(), null, false);
    }

    public GeneratorSettings withSeed(long newSeed) {
        return new GeneratorSettings(newSeed, start, linesPerSecond, malformedShare, nonAccessShare, mix, slowSpell, authWarm);
    }

    public GeneratorSettings withStart(Instant newStart) {
        return new GeneratorSettings(seed, newStart, linesPerSecond, malformedShare, nonAccessShare, mix, slowSpell, authWarm);
    }

    public GeneratorSettings withLinesPerSecond(double rate) {
        return new GeneratorSettings(seed, start, rate, malformedShare, nonAccessShare, mix, slowSpell, authWarm);
    }

    public GeneratorSettings withShares(double malformed, double nonAccess) {
        return new GeneratorSettings(seed, start, linesPerSecond, malformed, nonAccess, mix, slowSpell, authWarm);
    }

    public GeneratorSettings withMix(RequestMix newMix) {
        return new GeneratorSettings(seed, start, linesPerSecond, malformedShare, nonAccessShare, newMix, slowSpell, authWarm);
    }

    public GeneratorSettings withSlowSpell(SlowSpell spell) {
        return new GeneratorSettings(seed, start, linesPerSecond, malformedShare, nonAccessShare, mix, spell, authWarm);
    }

    /**
     * Whether basicauth's cache already holds every user when the log starts, as in a log cut from a server that has
     * been running; otherwise each user's first request pays bcrypt's second.
     */
    public GeneratorSettings withAuthWarm(boolean warm) {
        return new GeneratorSettings(seed, start, linesPerSecond, malformedShare, nonAccessShare, mix, slowSpell, warm);
    }
}
