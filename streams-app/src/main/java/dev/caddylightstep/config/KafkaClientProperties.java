package dev.caddylightstep.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The configured Kafka properties narrowed to what one kind of client accepts, so that the shipper, the
 * loaders and the forwarder connect exactly as the streams application does (same TLS, same SASL) without
 * warnings about Streams-only keys. A "producer." or "consumer." prefixed key wins over the plain one.
 */
public final class KafkaClientProperties {
    private KafkaClientProperties() {
    }

    public static Map<String, Object> producer(Map<String, Object> kafka) {
        return narrow(kafka, ProducerConfig.configNames(), "producer.");
    }

    public static Map<String, Object> consumer(Map<String, Object> kafka) {
        return narrow(kafka, ConsumerConfig.configNames(), "consumer.");
    }

    public static Map<String, Object> admin(Map<String, Object> kafka) {
        return narrow(kafka, AdminClientConfig.configNames(), "admin.");
    }

    private static Map<String, Object> narrow(Map<String, Object> kafka, Set<String> accepted, String prefix) {
        Map<String, Object> narrowed = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (accepted.contains(key)) {
                narrowed.put(key, value);
            }
        });
        kafka.forEach((key, value) -> {
            if (key.startsWith(prefix) && accepted.contains(key.substring(prefix.length()))) {
                narrowed.put(key.substring(prefix.length()), value);
            }
        });
        return narrowed;
    }
}
