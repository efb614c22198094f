package dev.caddylightstep.aggregate;

import dev.caddylightstep.config.Settings;
import java.time.Duration;

/**
 * How requests are grouped in time.
 *
 * @param size the tumbling window length, windows aligned to the epoch
 * @param grace how long after a window's end a late line still counts in it
 * @param retention how long windows stay queryable in the stores
 * @param exemplars how many of the slowest requests each window keeps
 * @param maxRoutes how many distinct routes a group's window holds; requests past them count under {@link #OTHER_ROUTE}
 */
public record WindowSettings(Duration size, Duration grace, Duration retention, EmitMode emit, int exemplars, int maxRoutes) {

    /** The route of the requests past a window's cap on routes, or with no route a template could name. */
    public static final String OTHER_ROUTE = "{other}";

    public static final WindowSettings DEFAULTS = new WindowSettings(Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofHours(1),
            EmitMode.UPDATES, 5, 500);

    /** caddy.window.*: a window is retained at least as long as it may still change. */
    public static WindowSettings from(Settings s) {
        Duration size = s.duration("caddy.window.size", Duration.ofSeconds(1));
        Duration grace = s.duration("caddy.window.grace", Duration.ZERO);
        Duration retention = s.duration("caddy.window.retention", Duration.ofSeconds(1));
        if (retention.compareTo(size.plus(grace)) < 0) {
            throw Settings.invalid("caddy.window.retention", s.string("caddy.window.retention"),
                    "at least caddy.window.size + caddy.window.grace (" + size.plus(grace).toSeconds() + "s)");
        }
        EmitMode emit = s.choice("caddy.window.emit", "updates", "final").equals("final") ? EmitMode.FINAL : EmitMode.UPDATES;
        return new WindowSettings(size, grace, retention, emit, s.integer("caddy.window.exemplars", 0, 100),
                s.integer("caddy.window.max-routes", 1, 100_000));
    }

    /** The log time at which the window starting then closes: its end plus the grace. */
    public long closesAt(long windowStart) {
        return windowStart + size.toMillis() + grace.toMillis();
    }

    /**
     * Which windows have closed at a log time: the number of the last, counted in window sizes from the epoch (a window
     * closes once its end plus the grace is at or before the time), or Long.MIN_VALUE before any time.
     */
    public long lastClosedWindow(long logTime) {
        return logTime == Long.MIN_VALUE ? Long.MIN_VALUE : Math.floorDiv(logTime - grace.toMillis(), size.toMillis());
    }

    /** When a window's aggregate is written to its topic. */
    public enum EmitMode {
        /** As the window fills (at every commit), the latest record of a key superseding earlier ones. */
        UPDATES,
        /** Once, when the window closes (its end plus the grace period has passed in log time). */
        FINAL
    }
}
