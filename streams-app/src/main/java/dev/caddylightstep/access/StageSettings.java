package dev.caddylightstep.access;

import dev.caddylightstep.config.Settings;

/**
 * How many of a backend's Server-Timing names a request's spans and a window's stages keep. The names are the
 * backend's to choose, and each one kept is an attribute on a span and a sketch in a window.
 *
 * @param maxServerTimings caddy.stage.max-server-timings: names past it are left off spans and summed under
 *        {@value StageTime#OTHER} in windows
 */
public record StageSettings(int maxServerTimings) {
    public static final StageSettings DEFAULTS = new StageSettings(8);

    public static StageSettings from(Settings s) {
        return new StageSettings(s.integer("caddy.stage.max-server-timings", 0, 64));
    }
}
