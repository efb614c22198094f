package dev.caddylightstep.topics;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/** The topics as {@code topics create}, the demo and the tests make them, from their {@link TopicSpec}s. */
public final class TopicLayout {
    private TopicLayout() {
    }

    /** @param replicationFactor -1 for the broker's default */
    public static List<NewTopic> topics(TopicNames names, int partitions, short replicationFactor) {
        return topics(names, partitions, replicationFactor, -1);
    }

    /**
     * The topics with {@code min.insync.replicas} set on each when it is positive, else left to the broker's default,
     * which is 1 unless the cluster says otherwise: with 1, a write the leader alone has is acknowledged, and lost
     * if that leader's disk goes before a follower copied it.
     */
    public static List<NewTopic> topics(TopicNames names, int partitions, short replicationFactor, int minInsyncReplicas) {
        Optional<Short> rf = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
        return Arrays.stream(TopicSpec.values())
                .map(spec -> new NewTopic(names.name(spec), Optional.of(spec.singlePartition() ? 1 : partitions), rf)
                        .configs(configs(spec, minInsyncReplicas)))
                .toList();
    }

    private static Map<String, String> configs(TopicSpec spec, int minInsyncReplicas) {
        if (minInsyncReplicas <= 0) {
            return spec.configs();
        }
        Map<String, String> configs = new HashMap<>(spec.configs());
        configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInsyncReplicas));
        return Map.copyOf(configs);
    }
}
