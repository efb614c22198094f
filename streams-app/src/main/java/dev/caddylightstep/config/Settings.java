package dev.caddylightstep.config;

import dev.caddylightstep.topics.TopicNames;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The raw settings from their sources, later ones winning: defaults, a properties file, the environment,
 * then command-line options. The one place that reads configuration sources; typed getters reject bad
 * values with a message that names the key.
 */
public final class Settings {
    private static final List<String> KAFKA_PREFIXES = List.of("", "producer.", "consumer.", "main.consumer.",
            "restore.consumer.", "global.consumer.", "admin.");
    private static final Map<String, String> KAFKA_BY_ENVIRONMENT = kafkaEnvironmentNames();
    public static final String LIGHTSTEP_TOKEN = "LS_ACCESS_TOKEN";

    private final Map<String, String> app;
    private final Map<String, Object> kafka;
    private final Map<String, String> otel;

    private Settings(Map<String, String> app, Map<String, Object> kafka, Map<String, String> otel) {
        this.app = app;
        this.kafka = kafka;
        this.otel = otel;
    }

    /**
     * @param file a properties file, or null
     * @param environment usually System.getenv()
     * @param overrides settings from command-line options, keyed like the file
     */
    public static Settings load(Path file, Map<String, String> environment, Map<String, String> overrides) {
        Map<String, String> app = new LinkedHashMap<>();
        Map<String, Object> kafka = new LinkedHashMap<>();
        kafka.put(StreamsConfig.APPLICATION_ID_CONFIG, "caddy-lightstep");
        kafka.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        if (file != null) {
            readFile(file).forEach((key, value) -> put(key, value, "in " + file, app, kafka));
        }
        environment.forEach((name, value) -> fromEnvironment(name, value, app, kafka));
        overrides.forEach((key, value) -> put(key, value, "on the command line", app, kafka));
        Map<String, String> otel = new LinkedHashMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith("OTEL_") || name.equals(LIGHTSTEP_TOKEN)) {
                otel.put(name, value);
            }
        });
        return new Settings(app, kafka, otel);
    }

    /** Settings from a plain map keyed like the file, as tests and the demo build them. */
    public static Settings of(Map<String, String> settings) {
        return load(null, Map.of(), settings);
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
        }
        Map<String, String> entries = new LinkedHashMap<>();
        for (String name : new TreeSet<>(properties.stringPropertyNames())) {
            entries.put(name, properties.getProperty(name).trim());
        }
        return entries;
    }

    private static void put(String key, String value, String where, Map<String, String> app, Map<String, Object> kafka) {
        if (key.startsWith(ConfigKeys.PREFIX)) {
            if (!ConfigKeys.isKnown(key)) {
                throw new ConfigException("unknown setting " + key + " " + where + nearest(key));
            }
            app.put(key, value);
        } else {
            kafka.put(key, value);
        }
    }

    private static void fromEnvironment(String name, String value, Map<String, String> app, Map<String, Object> kafka) {
        if (name.startsWith("CADDY_")) {
            for (String key : ConfigKeys.all()) {
                if (ConfigKeys.environmentVariable(key).equals(name)) {
                    app.put(key, value);
                    return;
                }
            }
            // Caddy itself reads CADDY_* variables too: an unknown one is not necessarily a mistake of ours
            return;
        }
        String kafkaKey = KAFKA_BY_ENVIRONMENT.get(name);
        if (kafkaKey != null) {
            kafka.put(kafkaKey, value);
        }
    }

    /** KAFKA_* names of every client and Streams property, so that KAFKA_HEAP_OPTS and the like are left alone. */
    private static Map<String, String> kafkaEnvironmentNames() {
        Set<String> names = new TreeSet<>();
        names.addAll(StreamsConfig.configDef().names());
        names.addAll(ProducerConfig.configNames());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        Map<String, String> byEnvironment = new HashMap<>();
        for (String prefix : KAFKA_PREFIXES) {
            for (String name : names) {
                String key = prefix + name;
                byEnvironment.put("KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), key);
            }
        }
        return byEnvironment;
    }

    private static String nearest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : ConfigKeys.all()) {
            int d = distance(key, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return best != null && bestDistance <= 4 ? " (did you mean " + best + "?)" : "";
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * OpenTelemetry's own variables (OTEL_*) and LS_ACCESS_TOKEN, as the environment gave them: read here and
     * nowhere else, and handed to the OpenTelemetry SDK's autoconfiguration.
     */
    public Map<String, String> openTelemetryEnvironment() {
        return Map.copyOf(otel);
    }

    /** The Kafka client and Streams properties, untouched. */
    public Map<String, Object> kafka() {
        return Map.copyOf(kafka);
    }

    public String string(String key) {
        return app.getOrDefault(key, ConfigKeys.defaultOf(key)).trim();
    }

    /** The topics' names as set (caddy.topic.SUFFIX), each checked. */
    public TopicNames topicNames() {
        try {
            return TopicNames.of(spec -> string(spec.configKey()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /**
     * The application's producer's max.request.size: Streams' producer-prefixed key wins over the plain one, 4 MiB by
     * default (the default the application sets, StreamsProperties).
     */
    public int producerMaxRequestSize() {
        String key = kafka.containsKey("producer.max.request.size") ? "producer.max.request.size" : "max.request.size";
        Object size = kafka.get(key);
        if (size == null) {
            return 4 * 1024 * 1024;
        }
        try {
            return Integer.parseInt(size.toString().trim());
        } catch (NumberFormatException e) {
            throw invalid(key, size.toString(), "a number of bytes");
        }
    }

    public boolean isSet(String key) {
        return !string(key).isEmpty();
    }

    public int integer(String key, int min, int max) {
        String value = string(key);
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min || parsed > max) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw invalid(key, value, "an integer from " + min + " to " + max);
        }
    }

    public Duration duration(String key, Duration min) {
        String value = string(key);
        Duration parsed = parseDuration(value);
        if (parsed == null || parsed.compareTo(min) < 0) {
            throw invalid(key, value, "a duration of at least " + min.toMillis() + " ms, such as 500ms, 60s, 5m, 1h or PT1M");
        }
        return parsed;
    }

    /** true or false, in any case. */
    public boolean flag(String key) {
        String value = string(key);
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(key, value, "true or false");
        };
    }

    /** One of the allowed words, in any case; '-' and '_' are the same. */
    public String choice(String key, String... allowed) {
        String value = string(key);
        String normalized = value.toLowerCase(Locale.ROOT).replace('-', '_');
        for (String option : allowed) {
            if (option.equals(normalized)) {
                return option;
            }
        }
        throw invalid(key, value, "one of " + String.join(", ", allowed));
    }

    /** A comma-separated list, blanks dropped. */
    public List<String> list(String key) {
        List<String> items = new ArrayList<>();
        for (String item : string(key).split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    public static ConfigException invalid(String key, String value, String allowed) {
        boolean secret = key.endsWith("key") || key.contains("password") || key.contains("secret") || key.contains("token");
        String shown = secret ? "(hidden)" : "'" + value + "'";
        return new ConfigException(key + " (" + ConfigKeys.environmentVariable(key) + "): " + shown + " is not " + allowed);
    }

    /** A duration as settings take it (500ms, 60s, 5m, 1h or ISO 8601's PT1M), or null if it is none. */
    public static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            try {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        for (String unit : Arrays.asList("ms", "s", "m", "h")) {
            if (v.endsWith(unit) && !(unit.equals("s") && v.endsWith("ms"))) {
                String number = v.substring(0, v.length() - unit.length()).trim();
                try {
                    long n = Long.parseLong(number);
                    return switch (unit) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        default -> Duration.ofHours(n);
                    };
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
