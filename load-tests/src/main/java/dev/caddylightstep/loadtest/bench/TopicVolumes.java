package dev.caddylightstep.loadtest.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * What a run wrote to each of its topics, internal ones (repartition, changelog) included: the sum of the
 * partitions' end offsets (records plus transaction markers) and the bytes of the logs on disk, compressed.
 */
record TopicVolumes(Map<String, Volume> byTopic) {

    /** One topic's volume. */
    record Volume(long endOffsets, long bytes) {
    }

    /** The volumes of the topics whose names start with {@code prefix}, by name. */
    static TopicVolumes of(Admin admin, String prefix) throws ExecutionException, InterruptedException {
        Set<String> names = admin.listTopics().names().get().stream().filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get().values()) {
            topic.partitions().forEach(p -> latest.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest()));
        }
        Map<String, Long> offsets = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> offsets.merge(tp.topic(), info.offset(), Long::sum));
        Map<String, Long> bytes = new HashMap<>();
        for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(admin.describeCluster().nodes().get().stream()
                .map(node -> node.id()).toList()).allDescriptions().get().values()) {
            for (LogDirDescription dir : dirs.values()) {
                dir.replicaInfos().forEach((tp, replica) -> {
                    if (names.contains(tp.topic())) {
                        bytes.merge(tp.topic(), replica.size(), Long::sum);
                    }
                });
            }
        }
        Map<String, Volume> volumes = new TreeMap<>();
        for (String name : names) {
            volumes.put(name, new Volume(offsets.getOrDefault(name, 0L), bytes.getOrDefault(name, 0L)));
        }
        return new TopicVolumes(volumes);
    }

    /** What was written since {@code before}, of the topics here. */
    TopicVolumes since(TopicVolumes before) {
        Map<String, Volume> volumes = new TreeMap<>();
        byTopic.forEach((name, v) -> {
            Volume earlier = before.byTopic.getOrDefault(name, new Volume(0, 0));
            volumes.put(name, new Volume(v.endOffsets - earlier.endOffsets, v.bytes - earlier.bytes));
        });
        return new TopicVolumes(volumes);
    }

    String describe() {
        StringBuilder s = new StringBuilder();
        byTopic.forEach((name, v) -> s.append(String.format("%n    %-60s %,12d offsets %,14d bytes", name, v.endOffsets(), v.bytes())));
        return s.toString();
    }
}
