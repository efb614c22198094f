package dev.caddylightstep.loadtest.soak;

import java.util.List;

/**
 * How one topic is replicated, as the cluster reports it at the end of a soak: the fewest replicas any of its
 * partitions has, and its {@code min.insync.replicas} whatever set it (the topic, or the broker's default).
 */
record TopicReplication(String topic, int replicas, int minInsyncReplicas) {
    /** One line per topic that is not replicated {@code replicas} times with {@code minInsyncReplicas}. */
    static List<String> deviations(List<TopicReplication> topics, int replicas, int minInsyncReplicas) {
        return topics.stream().filter(t -> t.replicas() != replicas || t.minInsyncReplicas() != minInsyncReplicas)
                .map(t -> t.topic() + " has " + t.replicas() + " replicas and min.insync.replicas " + t.minInsyncReplicas()
                        + ", not " + replicas + " and " + minInsyncReplicas)
                .toList();
    }
}
