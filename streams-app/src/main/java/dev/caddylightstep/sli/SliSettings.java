package dev.caddylightstep.sli;

import dev.caddylightstep.config.Settings;

/**
 * Whether each closed window is exported as OTLP metrics: false and the topology writes no metric records, and the
 * forwarder reads none.
 */
public record SliSettings(boolean export) {

    public static SliSettings from(Settings s) {
        return new SliSettings(s.flag("caddy.metrics.export"));
    }
}
