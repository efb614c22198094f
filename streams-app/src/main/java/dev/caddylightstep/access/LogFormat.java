package dev.caddylightstep.access;

import java.time.Duration;

/**
 * How to read the Caddy access log: the Caddyfile's encoder options that change field names or number formats,
 * and what the reader takes.
 *
 * @param userIdField the field that holds the authenticated user, {@code user_id} unless the filter encoder renamed it
 * @param accessLoggerPrefix lines whose logger does not start with this are not requests
 * @param maxLineBytes longer lines are dead-lettered without being parsed
 * @param maxClockSkew a line logged later than this past the instance's clock is dead-lettered as future
 */
public record LogFormat(String userIdField, DurationFormat durationFormat, String accessLoggerPrefix, int maxLineBytes,
                        Duration maxClockSkew) {

    public static final LogFormat CADDY_DEFAULT = new LogFormat("user_id", DurationFormat.AUTO, "http.log.access", 2 * 1024 * 1024,
            Duration.ofMinutes(5));

    /** Caddy's {@code duration_format}. */
    public enum DurationFormat {
        /** Floats are seconds (Caddy's default), integers nanoseconds ({@code nano}), strings Go durations ({@code string}). */
        AUTO,
        SECONDS,
        NANO,
        /** Floats of milliseconds: the one encoding that cannot be told from seconds by its form. */
        MS,
        STRING
    }
}
