package dev.caddylightstep.slo;

import java.time.Duration;

/** The periods over which burn rates are taken, as alert records and metrics name them. */
enum Period {
    FIVE_MINUTES("5m", Duration.ofMinutes(5)),
    THIRTY_MINUTES("30m", Duration.ofMinutes(30)),
    HOUR("1h", Duration.ofHours(1)),
    SIX_HOURS("6h", Duration.ofHours(6)),
    THREE_DAYS("3d", Duration.ofDays(3));

    final String code;
    final long millis;

    Period(String code, Duration length) {
        this.code = code;
        this.millis = length.toMillis();
    }
}
