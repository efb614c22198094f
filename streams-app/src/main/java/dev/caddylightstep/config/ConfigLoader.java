package dev.caddylightstep.config;

import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.identity.IdentityJoin;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.route.RoutePattern;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.topology.RecordLimit;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;

/** Turns raw {@link Settings} into the typed, validated {@link PipelineConfig}. */
public final class ConfigLoader {
    /** Under the broker's default log.message.timestamp.after.max.ms (1 h), with room for the broker's own clock. */
    private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(50);
    private ConfigLoader() {
    }

    public static PipelineConfig pipeline(Settings s) {
        requireExactlyOnce(s);
        Redaction redaction = redaction(s);
        RecordLimit limit = RecordLimit.underRequestSize(maxRequestSize(s));
        return new PipelineConfig(
                s.kafka(),
                topics(s),
                logFormat(s, limit),
                redaction,
                capturedHeaders(s, redaction),
                identitySource(s),
                IdentityJoin.valueOf(s.choice("caddy.identity.join", "global", "partitioned").toUpperCase(Locale.ROOT)),
                routePatterns(s),
                windows(s),
                clientAddress(s),
                resourceAttributes(s.openTelemetryEnvironment()),
                limit);
    }

    /** The application producer's max.request.size: Streams' producer-prefixed key wins, 4 MiB by default (StreamsProperties). */
    private static int maxRequestSize(Settings s) {
        Object requestSize = s.kafka().getOrDefault("producer.max.request.size", s.kafka().get("max.request.size"));
        String key = s.kafka().containsKey("producer.max.request.size") ? "producer.max.request.size" : "max.request.size";
        if (requestSize == null) {
            return 4 * 1024 * 1024;
        }
        try {
            return Integer.parseInt(requestSize.toString().trim());
        } catch (NumberFormatException e) {
            throw Settings.invalid(key, requestSize.toString(), "a number of bytes");
        }
    }

    /**
     * Partial windows travel to their group's task in each commit: only exactly_once_v2 makes a partial and the input
     * it counts one transaction, so that a crash or a rebalance neither loses nor repeats it.
     */
    private static void requireExactlyOnce(Settings s) {
        boolean allowed = s.flag("caddy.allow-at-least-once");
        String guarantee = String.valueOf(s.kafka().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).trim();
        if (allowed || guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
            return;
        }
        throw new ConfigException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + "=" + guarantee + " is refused: partial windows are sent in each"
                + " commit, and without exactly_once_v2 a crash or rebalance sends them again, so windows would count requests twice;"
                + " keep exactly_once_v2, or set caddy.allow-at-least-once=true to accept that");
    }

    public static TopicNames topics(Settings s) {
        TopicNames names = new TopicNames(
                s.string("caddy.topic.access"),
                s.string("caddy.topic.access-dlq"),
                s.string("caddy.topic.identities"),
                s.string("caddy.topic.policies"),
                s.string("caddy.topic.spans"),
                s.string("caddy.topic.spans-dlq"),
                s.string("caddy.topic.latency-by-group"),
                s.string("caddy.topic.latency-by-route"));
        Map<String, String> seen = new LinkedHashMap<>();
        names.byKey().forEach((key, name) -> {
            String configKey = "caddy.topic." + key;
            if (!name.matches("[a-zA-Z0-9._-]{1,249}")) {
                throw Settings.invalid(configKey, name, "a Kafka topic name (letters, digits, '.', '_', '-')");
            }
            String other = seen.putIfAbsent(name, configKey);
            if (other != null) {
                throw new ConfigException(configKey + " and " + other + " both name topic " + name + ": each topic has one role");
            }
        });
        return names;
    }

    private static LogFormat logFormat(Settings s, RecordLimit limit) {
        String field = s.string("caddy.log.user-id-field");
        if (field.isEmpty()) {
            throw Settings.invalid("caddy.log.user-id-field", field, "a field name");
        }
        LogFormat.DurationFormat durations = LogFormat.DurationFormat.valueOf(
                s.choice("caddy.log.duration-format", "auto", "seconds", "nano", "ms", "string").toUpperCase(Locale.ROOT));
        // a dead-lettered line must fit in one record of the application
        int maxLineBytes = s.integer("caddy.log.max-line-bytes", 1024, Math.max(1024, limit.maxValueBytes()));
        // the broker refuses a record time more than log.message.timestamp.after.max.ms (1 h by default) ahead of its clock
        Duration skew = s.duration("caddy.log.max-clock-skew", Duration.ZERO);
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw Settings.invalid("caddy.log.max-clock-skew", s.string("caddy.log.max-clock-skew"),
                    "at most " + MAX_CLOCK_SKEW.toMinutes() + "m: the broker refuses records more than an hour ahead of its clock");
        }
        return new LogFormat(field, durations, s.string("caddy.log.access-logger"), maxLineBytes, skew);
    }

    private static IdentitySource identitySource(Settings s) {
        String source = s.choice("caddy.identity.source", "user_id", "header", "tls_client_cn");
        return switch (source) {
            case "header" -> {
                String header = s.string("caddy.identity.header");
                if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                    throw Settings.invalid("caddy.identity.header", header,
                            "a header name (required when caddy.identity.source=header)");
                }
                yield new IdentitySource(IdentitySource.Kind.HEADER, header);
            }
            case "tls_client_cn" -> new IdentitySource(IdentitySource.Kind.TLS_CLIENT_CN, null);
            default -> IdentitySource.USER_ID;
        };
    }

    private static List<RoutePattern> routePatterns(Settings s) {
        List<RoutePattern> patterns = new ArrayList<>();
        for (String template : s.list("caddy.route.patterns")) {
            try {
                patterns.add(RoutePattern.parse(template));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("caddy.route.patterns (CADDY_ROUTE_PATTERNS): " + e.getMessage());
            }
        }
        return patterns;
    }

    private static WindowSettings windows(Settings s) {
        Duration size = s.duration("caddy.window.size", Duration.ofSeconds(1));
        Duration grace = s.duration("caddy.window.grace", Duration.ZERO);
        Duration retention = s.duration("caddy.window.retention", Duration.ofSeconds(1));
        if (retention.compareTo(size.plus(grace)) < 0) {
            throw Settings.invalid("caddy.window.retention", s.string("caddy.window.retention"),
                    "at least caddy.window.size + caddy.window.grace (" + size.plus(grace).toSeconds() + "s)");
        }
        WindowSettings.EmitMode emit = s.choice("caddy.window.emit", "updates", "final").equals("final")
                ? WindowSettings.EmitMode.FINAL : WindowSettings.EmitMode.UPDATES;
        return new WindowSettings(size, grace, retention, emit, s.integer("caddy.window.exemplars", 0, 100),
                s.integer("caddy.window.max-routes", 1, 100_000));
    }

    private static Redaction redaction(Settings s) {
        return new Redaction(new LinkedHashSet<>(s.list("caddy.redact.headers")), new LinkedHashSet<>(s.list("caddy.redact.query-parameters")));
    }

    private static CapturedHeaders capturedHeaders(Settings s, Redaction redaction) {
        return new CapturedHeaders(headerNames(s, "caddy.span.capture-request-headers", redaction),
                headerNames(s, "caddy.span.capture-response-headers", redaction));
    }

    /** Header names to record on spans; a redacted one is refused rather than silently left out. */
    private static LinkedHashSet<String> headerNames(Settings s, String key, Redaction redaction) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String name : s.list(key)) {
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw Settings.invalid(key, name, "HTTP header names, comma-separated");
            }
            if (redaction.dropsHeader(name)) {
                throw new ConfigException(key + ": " + name + " is redacted (credentials, or caddy.redact.headers) and is never recorded");
            }
            names.add(name);
        }
        return names;
    }

    private static ClientAddressMasking clientAddress(Settings s) {
        String mode = s.choice("caddy.client-address", "keep", "truncate", "hash");
        int v4 = s.integer("caddy.client-address.ipv4-prefix", 0, 32);
        int v6 = s.integer("caddy.client-address.ipv6-prefix", 0, 128);
        byte[] key = s.string("caddy.client-address.hash-key").getBytes(StandardCharsets.UTF_8);
        if (mode.equals("hash") && key.length < 16) {
            throw new ConfigException("caddy.client-address.hash-key (CADDY_CLIENT_ADDRESS_HASH_KEY): "
                    + "caddy.client-address=hash needs a secret key of at least 16 bytes");
        }
        return new ClientAddressMasking(ClientAddressMasking.Mode.valueOf(mode.toUpperCase(Locale.ROOT)), v4, v6, key);
    }

    /** OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME over it, as the OpenTelemetry specification orders them. */
    static Map<String, String> resourceAttributes(Map<String, String> otel) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("service.name", "caddy");
        String list = otel.getOrDefault("OTEL_RESOURCE_ATTRIBUTES", "");
        for (String pair : list.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("OTEL_RESOURCE_ATTRIBUTES: '" + pair.trim() + "' is not key=value");
            }
            attributes.put(pair.substring(0, eq).trim(), URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8));
        }
        String serviceName = otel.getOrDefault("OTEL_SERVICE_NAME", "");
        if (!serviceName.isBlank()) {
            attributes.put("service.name", serviceName.trim());
        }
        return attributes;
    }
}
