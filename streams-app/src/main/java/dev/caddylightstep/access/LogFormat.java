package dev.caddylightstep.access;

import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.RecordLimit;
import java.time.Duration;
import java.util.Locale;

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
    /** Under the broker's default log.message.timestamp.after.max.ms (1 h), with room for the broker's own clock. */
    private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(50);

    /** From the caddy.log.* settings; a dead-lettered line must fit in one record the application writes. */
    public static LogFormat from(Settings s, RecordLimit limit) {
        String field = s.string("caddy.log.user-id-field");
        if (field.isEmpty()) {
            throw Settings.invalid("caddy.log.user-id-field", field, "a field name");
        }
        DurationFormat durations = DurationFormat.valueOf(
                s.choice("caddy.log.duration-format", "auto", "seconds", "nano", "ms", "string").toUpperCase(Locale.ROOT));
        int maxLineBytes = s.integer("caddy.log.max-line-bytes", 1024, Math.max(1024, limit.maxValueBytes()));
        // the broker refuses a record time more than log.message.timestamp.after.max.ms (1 h by default) ahead of its clock
        Duration skew = s.duration("caddy.log.max-clock-skew", Duration.ZERO);
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw Settings.invalid("caddy.log.max-clock-skew", s.string("caddy.log.max-clock-skew"),
                    "at most " + MAX_CLOCK_SKEW.toMinutes() + "m: the broker refuses records more than an hour ahead of its clock");
        }
        return new LogFormat(field, durations, s.string("caddy.log.access-logger"), maxLineBytes, skew);
    }

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
