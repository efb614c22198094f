package dev.caddylightstep.run;

import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.topology.PipelineConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many partitions the access topic has: as many tasks make partial windows, and a task merging them waits to have
 * heard from each before it closes its first window ({@link PipelineConfig#accessPartitions()}). Kafka Streams gives a
 * processor no way to learn it, so it is read once, before the topology is built.
 */
final class AccessPartitions {
    private static final Logger LOG = LoggerFactory.getLogger(AccessPartitions.class);
    private static final int TIMEOUT_MS = 10_000;

    private AccessPartitions() {
    }

    /** The count, or 0 when the topic cannot be described now: then the merge waits for no one, as before it knew. */
    static int of(PipelineConfig config) {
        String topic = config.topics().access();
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.admin(config.kafka()));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        try (Admin admin = Admin.create(props)) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic).partitions().size();
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            LOG.warn("could not describe {} ({}): the first windows close without waiting to hear from every task", topic,
                    e instanceof ExecutionException ? e.getCause().toString() : e.toString());
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
