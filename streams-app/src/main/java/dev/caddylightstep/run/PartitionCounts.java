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
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many partitions the access and the spans topics have, which Kafka Streams gives a processor no way to learn, so
 * they are read once, before the topology is built: as many tasks make partial windows as the access topic has
 * partitions, and a task merging them waits to have heard from each before it closes its first window
 * ({@link PipelineConfig#accessPartitions()}); the spans are gathered into one record per partition of the spans topic
 * ({@link PipelineConfig#spanPartitions()}).
 */
final class PartitionCounts {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionCounts.class);
    private static final int TIMEOUT_MS = 10_000;

    private PartitionCounts() {
    }

    /**
     * The config with both counts, each 0 when its topic cannot be described now: the access topic's, and the merge waits
     * for no one, as before it knew; the spans topic's, and each task writes the spans of a commit in one record, a
     * trace's spans no longer on one partition.
     */
    static PipelineConfig of(PipelineConfig config) {
        String access = config.topics().access();
        String spans = config.topics().spans();
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.admin(config.kafka()));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        try (Admin admin = Admin.create(props)) {
            Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(List.of(access, spans)).topicNameValues();
            return config.withPartitions(
                    count(described.get(access), access, "the first windows close without waiting to hear from every task"),
                    count(described.get(spans), spans, "each task writes the spans of a commit in one record, whatever their trace"));
        } catch (KafkaException e) {
            LOG.warn("could not describe {} and {} ({}): the first windows close without waiting to hear from every task, and each"
                    + " task writes the spans of a commit in one record, whatever their trace", access, spans, e.toString());
            return config;
        }
    }

    /** A topic's count from the one describe call, which the admin client ends within its timeout (10 s). */
    private static int count(KafkaFuture<TopicDescription> description, String topic, String withoutIt) {
        try {
            return description.get(TIMEOUT_MS, TimeUnit.MILLISECONDS).partitions().size();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("could not describe {} ({}): {}", topic, e instanceof ExecutionException ? e.getCause().toString() : e.toString(), withoutIt);
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
