package dev.caddylightstep.cli;

import dev.caddylightstep.config.KafkaClientProperties;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Fails fast, in one line, when the configured Kafka cluster cannot be reached. */
final class Brokers {
    private static final int TIMEOUT_SECONDS = 15;

    private Brokers() {
    }

    static void requireReachable(Map<String, Object> kafka) {
        Object servers = kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (servers == null || servers.toString().isBlank()) {
            throw new UserError("no Kafka bootstrap servers: give --bootstrap-servers, bootstrap.servers in --config, or KAFKA_BOOTSTRAP_SERVERS");
        }
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.admin(kafka));
        // the configured API timeout, when shorter, is what the user asked to wait
        int timeoutMs = Math.min(TIMEOUT_SECONDS * 1000,
                Integer.parseInt(String.valueOf(props.getOrDefault(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_SECONDS * 1000))));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new UserError("Kafka at " + servers + " did not answer within " + timeoutMs / 1000.0 + " s");
        } catch (ExecutionException e) {
            throw new UserError("Kafka at " + servers + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while reaching Kafka at " + servers);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new UserError("Kafka at " + servers + ": " + e.getMessage());
        }
    }
}
