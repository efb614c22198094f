package dev.caddylightstep.topics;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The names the topics have in this deployment, each checked: a legal Kafka topic name, and no topic named for two roles.
 *
 * @param names every {@link TopicSpec}'s name
 */
public record TopicNames(Map<TopicSpec, String> names) {

    public static final TopicNames DEFAULTS = of(TopicSpec::defaultName);

    public TopicNames {
        EnumMap<TopicSpec, String> copy = new EnumMap<>(TopicSpec.class);
        Map<String, TopicSpec> roles = new LinkedHashMap<>();
        for (TopicSpec spec : TopicSpec.values()) {
            String name = names.get(spec);
            if (name == null || !name.matches("[a-zA-Z0-9._-]{1,249}")) {
                throw new IllegalArgumentException(spec.configKey() + ": '" + name + "' is not a Kafka topic name (letters, digits, '.', '_', '-')");
            }
            TopicSpec other = roles.putIfAbsent(name, spec);
            if (other != null) {
                throw new IllegalArgumentException(spec.configKey() + " and " + other.configKey() + " both name topic " + name
                        + ": each topic has one role");
            }
            copy.put(spec, name);
        }
        names = Collections.unmodifiableMap(copy);
    }

    /** Each topic's name as the function gives it for its spec. */
    public static TopicNames of(Function<TopicSpec, String> name) {
        Map<TopicSpec, String> names = new EnumMap<>(TopicSpec.class);
        for (TopicSpec spec : TopicSpec.values()) {
            names.put(spec, name.apply(spec));
        }
        return new TopicNames(names);
    }

    public String name(TopicSpec spec) {
        return names.get(spec);
    }

    public String access() {
        return name(TopicSpec.ACCESS);
    }

    public String accessDeadLetters() {
        return name(TopicSpec.ACCESS_DLQ);
    }

    public String identities() {
        return name(TopicSpec.IDENTITIES);
    }

    public String policies() {
        return name(TopicSpec.POLICIES);
    }

    public String spans() {
        return name(TopicSpec.SPANS);
    }

    public String spanDeadLetters() {
        return name(TopicSpec.SPANS_DLQ);
    }

    public String latencyByGroup() {
        return name(TopicSpec.LATENCY_BY_GROUP);
    }

    public String latencyByRoute() {
        return name(TopicSpec.LATENCY_BY_ROUTE);
    }

    public String metrics() {
        return name(TopicSpec.METRICS);
    }

    /** Every topic's setting, as caddy.topic.SUFFIX=NAME. */
    public Map<String, String> asSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        names.forEach((spec, name) -> settings.put(spec.configKey(), name));
        return settings;
    }
}
