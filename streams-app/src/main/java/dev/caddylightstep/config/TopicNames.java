package dev.caddylightstep.config;

import java.util.LinkedHashMap;
import java.util.Map;

/** The names of the topics the application reads and writes. */
public record TopicNames(
        String access,
        String accessDeadLetters,
        String identities,
        String policies,
        String spans,
        String spanDeadLetters,
        String latencyByGroup,
        String latencyByRoute) {

    public static final TopicNames DEFAULTS = new TopicNames(
            "caddy.access", "caddy.access.dlq", "edge.identities", "edge.policies",
            "caddy.spans", "caddy.spans.dlq", "caddy.latency.by-group", "caddy.latency.by-route");

    /** The default name of each topic by its configuration key suffix. */
    public static final Map<String, String> DEFAULTS_BY_KEY = DEFAULTS.byKey();

    /** Each topic by its configuration key suffix (caddy.topic.&lt;suffix&gt;). */
    public Map<String, String> byKey() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("access", access);
        names.put("access-dlq", accessDeadLetters);
        names.put("identities", identities);
        names.put("policies", policies);
        names.put("spans", spans);
        names.put("spans-dlq", spanDeadLetters);
        names.put("latency-by-group", latencyByGroup);
        names.put("latency-by-route", latencyByRoute);
        return names;
    }
}
