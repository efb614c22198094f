package dev.caddylightstep.aggregate;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Which window a partial or merged aggregate belongs to: a group, or a group's route, in the window starting
 * at {@code windowStart}. Encoded as text ("group NUL route NUL start"), so that the windows of a group are
 * one prefix of the stores; a group name comes from the identities file and a route from a request path,
 * and neither holds a NUL.
 *
 * @param route null for the group's own window
 */
record WindowKey(String group, String route, long windowStart) {
    private static final char SEPARATOR = '\u0000';

    static WindowKey ofGroup(String group, long windowStart) {
        return new WindowKey(group, null, windowStart);
    }

    WindowKey groupWindow() {
        return new WindowKey(group, null, windowStart);
    }

    String encode() {
        return route == null ? group + SEPARATOR + windowStart : group + SEPARATOR + route + SEPARATOR + windowStart;
    }

    static WindowKey decode(String text) {
        int first = text.indexOf(SEPARATOR);
        int last = text.lastIndexOf(SEPARATOR);
        String group = text.substring(0, first);
        String route = first == last ? null : text.substring(first + 1, last);
        return new WindowKey(group, route, Long.parseLong(text.substring(last + 1)));
    }

    /** The start of every key of a group's windows (the group's own and its routes'). */
    static String prefixOf(String group) {
        return group + SEPARATOR;
    }

    /** Places every window of a group, its routes' too, in the partition of the group, so that one task merges them all; a tick in every partition. */
    static final class ByGroup<V> implements StreamPartitioner<String, V> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
            if (key.equals(WindowMerge.TICK_KEY)) {
                return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
            }
            return Optional.of(Set.of(partitionOf(WindowKey.decode(key).group(), numPartitions)));
        }

        static int partitionOf(String group, int numPartitions) {
            return Utils.toPositive(Utils.murmur2(group.getBytes(StandardCharsets.UTF_8))) % numPartitions;
        }
    }
}
