package dev.caddylightstep.topics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/** The topics as {@code topics create}, the demo and the tests make them, from their {@link TopicSpec}s. */
public final class TopicLayout {
    private TopicLayout() {
    }

    /** @param replicationFactor -1 for the broker's default */
    public static List<NewTopic> topics(TopicNames names, int partitions, short replicationFactor) {
        Optional<Short> rf = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
        return Arrays.stream(TopicSpec.values())
                .map(spec -> new NewTopic(names.name(spec), Optional.of(spec.singlePartition() ? 1 : partitions), rf).configs(spec.configs()))
                .toList();
    }
}
