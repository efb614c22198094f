package dev.caddylightstep.config;

import dev.caddylightstep.topics.TopicSpec;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every application setting: its key in a properties file, its default, and what it does. Each key can also
 * be set from the environment as CADDY_ followed by the rest of the key in upper case with '.' and '-' as
 * '_' (caddy.window.size is CADDY_WINDOW_SIZE). Kafka's own properties pass through untouched, and from the
 * environment as KAFKA_ and the property in upper case (KAFKA_BOOTSTRAP_SERVERS).
 */
public final class ConfigKeys {
    public static final String PREFIX = "caddy.";

    /** key → {default, description}; an empty default means unset. */
    private static final Map<String, String[]> KEYS = new LinkedHashMap<>();

    static {
        for (TopicSpec topic : TopicSpec.values()) {
            key(topic.configKey(), topic.defaultName(), topic.description());
        }
        key("caddy.allow-at-least-once", "false", "true lets processing.guarantee=at_least_once start, although a crash or rebalance then counts requests twice in the windows");
        key("caddy.topics.partitions", "6", "partitions of the topics `topics create` makes");
        key("caddy.topics.replication-factor", "-1", "replication factor of the topics `topics create` makes; -1 = the broker's default");
        key("caddy.topics.min-insync-replicas", "-1", "min.insync.replicas of the topics `topics create` makes (replicas that must have a write before it is acknowledged); -1 = the broker's default");
        key("caddy.log.user-id-field", "user_id", "the field of the authenticated user, if the filter encoder renamed user_id");
        key("caddy.log.duration-format", "auto", "Caddy's duration_format: auto, seconds, nano, ms or string");
        key("caddy.log.access-logger", "http.log.access", "lines of other loggers are counted and skipped");
        key("caddy.log.max-line-bytes", "2097152", "longer lines are dead-lettered unparsed");
        key("caddy.log.max-clock-skew", "5m", "a line logged later than this past the instance's clock is dead-lettered as future");
        key("caddy.redact.headers", "", "more headers to drop, comma-separated (Authorization, Cookie, Set-Cookie, Proxy-Authorization always are)");
        key("caddy.redact.query-parameters", "", "more query parameters whose values become REDACTED, comma-separated");
        key("caddy.stage.max-server-timings", "8", "backend Server-Timing names kept per request on spans (edge.server_timing.<name>) and per window in stages; the rest count under {other} in windows");
        key("caddy.span.capture-request-headers", "", "request headers recorded on spans as http.request.header.<name>, comma-separated (redacted ones are refused)");
        key("caddy.span.capture-response-headers", "", "response headers recorded on spans as http.response.header.<name>, comma-separated (redacted ones are refused)");
        key("caddy.spans.max-batch", "256", "spans in one record of the spans topic: each task gathers the spans of each partition and writes them as one record before each commit, or sooner once this many (or the bytes of a record, at most caddy.forward.max-export-bytes) are in; at least 2");
        key("caddy.identity.source", "user_id", "where the identity key comes from: user_id, header or tls_client_cn");
        key("caddy.identity.header", "", "the request header that holds the identity when caddy.identity.source=header");
        key("caddy.identity.join", "global", "global (every instance holds the table in memory: no repartition) or partitioned (requests repartitioned by identity: tables larger than an instance)");
        key("caddy.route.patterns", "", "route templates that win over the built-in placeholders, comma-separated, e.g. /api/{tenant}/items");
        key("caddy.window.size", "60s", "length of the tumbling latency windows");
        key("caddy.window.grace", "30s", "how late (in log time) a line may come and still count in its window");
        key("caddy.window.retention", "1h", "how long windows stay queryable");
        key("caddy.window.emit", "updates", "updates (as windows fill) or final (once, when a window closes)");
        key("caddy.window.exemplars", "5", "slowest requests kept per window");
        key("caddy.window.max-routes", "500", "distinct routes per group and window; requests past it count under the route {other} and their spans carry no http.route");
        key("caddy.sample.ratio", "1", "probability of exporting a span no keep rule keeps (a group's policy may set its own sample_ratio)");
        key("caddy.sample.keep", "errors,denials,misfires,slo-breaches,exemplars", "spans exported whatever the ratio, comma-separated");
        key("caddy.client-address", "keep", "client.address in spans: keep, truncate or hash");
        key("caddy.client-address.ipv4-prefix", "24", "bits of an IPv4 address kept by truncate");
        key("caddy.client-address.ipv6-prefix", "48", "bits of an IPv6 address kept by truncate");
        key("caddy.client-address.hash-key", "", "secret HMAC key for hash; set it from the environment");
        key("caddy.http.host", "127.0.0.1", "address of the health, metrics, query and dashboard server");
        key("caddy.http.port", "8080", "port of that server; 0 picks a free one");
        key("caddy.http.token", "", "when set, required as Authorization: Bearer TOKEN by /api/* and the dashboard (probes and /metrics stay open); set it from the environment, at least 16 characters");
        key("caddy.http.max-queries", "4", "window queries (/api/windows...) answered at once; more are answered 503");
        key("caddy.http.advertised-host", "", "host other instances reach this one at, for interactive queries (default: caddy.http.host)");
        key("caddy.dashboard.trace-url", "", "link from an exemplar to its trace, {trace_id} is replaced, e.g. https://app.lightstep.com/PROJECT/trace?trace_id={trace_id}");
        key("caddy.forward.group-id", "caddy-lightstep-forwarder", "consumer group of the span forwarder");
        key("caddy.forward.batch-size", "512", "spans per export request");
        key("caddy.forward.max-in-flight", "4", "export requests awaiting the backend's answer at once (1 to 5, as many as OpenTelemetry's OkHttp sender runs at once)");
        key("caddy.forward.max-export-bytes", "2097152", "bytes of span records per export request, under the backend's limit (gRPC's default is 4 MiB)");
        key("caddy.forward.max-spans-per-second", "0", "export rate limit, 0 for none (mind the backend's rate limits)");
        key("caddy.forward.max-backoff", "30s", "longest wait between retries while the backend is down or throttling");
        key("caddy.forward.lightstep-region", "us", "Lightstep ingest used when LS_ACCESS_TOKEN is set and no endpoint: us or eu");
        key("caddy.metrics.export", "true", "each closed window of a group's routes is written to caddy.metrics as OTLP metrics, which the forwarder exports; false writes and exports none");
    }

    private ConfigKeys() {
    }

    private static void key(String name, String defaultValue, String description) {
        KEYS.put(name, new String[] {defaultValue, description});
    }

    public static boolean isKnown(String key) {
        return KEYS.containsKey(key);
    }

    public static String defaultOf(String key) {
        String[] entry = KEYS.get(key);
        if (entry == null) {
            throw new IllegalArgumentException("no setting " + key);
        }
        return entry[0];
    }

    public static String describe(String key) {
        return KEYS.get(key)[1];
    }

    /** All keys, in the order of the documentation. */
    public static Iterable<String> all() {
        return KEYS.keySet();
    }

    /** The environment variable that sets a key. */
    public static String environmentVariable(String key) {
        String rest = key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : key;
        return "CADDY_" + rest.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
