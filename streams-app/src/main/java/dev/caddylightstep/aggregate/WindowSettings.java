package dev.caddylightstep.aggregate;

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

    /** When a window's aggregate is written to its topic. */
    public enum EmitMode {
        /** As the window fills (at every commit), the latest record of a key superseding earlier ones. */
        UPDATES,
        /** Once, when the window closes (its end plus the grace period has passed in log time). */
        FINAL
    }
}
