package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.caddylightstep.query.LocalStores;
import dev.caddylightstep.query.Peers;
import dev.caddylightstep.query.QueryScope;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries over the latency windows of every instance of the application: a group's windows
 * live in the instance that owns the group's partition, found through the streams metadata and fetched
 * from it ({@link Peers}) when it is not this one (all of them at once, when every group is asked for).
 */
public final class WindowQueries {
    private final KafkaStreams streams;
    private final WindowSettings windows;
    private final Peers peers;

    public WindowQueries(KafkaStreams streams, WindowSettings windows, Peers peers) {
        this.streams = streams;
        this.windows = windows;
        this.peers = peers;
    }

    /**
     * The windows of every group, newest first per group: of every partition, from the instance that holds it, or
     * (scope=local) of the partitions asked for, else of all this instance holds.
     */
    public ArrayNode allGroups(QueryScope scope) {
        if (scope.local()) {
            return asJson(local(AggregateStage.BY_GROUP_STORE, null, scope.partitions()));
        }
        ArrayNode out = AggregateJson.JSON.createArrayNode();
        peers.everyPartition(AggregateStage.BY_GROUP_STORE, "/api/windows",
                partitions -> asJson(local(AggregateStage.BY_GROUP_STORE, null, partitions))).forEach(out::addAll);
        return out;
    }

    /** The windows of one group. */
    public ArrayNode group(String group, boolean localOnly) {
        return ofGroup(AggregateStage.BY_GROUP_STORE, group, localOnly, "/api/windows/" + encode(group));
    }

    /** The windows of each route of one group. */
    public ArrayNode routes(String group, boolean localOnly) {
        return ofGroup(AggregateStage.BY_ROUTE_STORE, group, localOnly, "/api/windows/" + encode(group) + "/routes");
    }

    /**
     * A group's windows, from its partition's store, here or at the instance that holds it. Asked here (by a client or,
     * with scope=local, by another instance) for a partition this instance does not hold now, the answer is unavailable,
     * not empty: the metadata names an instance as a task's owner before the task has moved there.
     */
    private ArrayNode ofGroup(String store, String group, boolean localOnly, String path) {
        // every window of a group, its routes' too, lives in the partition of the group
        KeyQueryMetadata owner = streams.queryMetadataForKey(store, WindowKey.ofGroup(group, 0).encode(), new WindowKey.ByGroup<>());
        if (!localOnly && owner != null && peers.isOther(owner.activeHost())) {
            return peers.ask(owner.activeHost(), path + "?scope=local");
        }
        if (owner == null || owner.partition() < 0) {
            throw new InvalidStateStoreException("no instance holds the windows of " + group + " now");
        }
        return asJson(local(store, group, Set.of(owner.partition())));
    }

    private static ArrayNode asJson(List<LatencyAggregateRecord> records) {
        ArrayNode out = AggregateJson.JSON.createArrayNode();
        records.forEach(r -> out.add(AggregateJson.of(r)));
        return out;
    }

    /**
     * This instance's windows of a store, of one group or (group null) of all, in the given partitions or (null) in all
     * it holds, by group, route and newest first; a partition this instance does not hold is an
     * {@link InvalidStateStoreException}.
     */
    private List<LatencyAggregateRecord> local(String storeName, String group, Set<Integer> partitions) {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, LatencyWindow>> parameters =
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, LatencyWindow>keyValueStore());
        List<LatencyAggregateRecord> records = new ArrayList<>();
        for (ReadOnlyKeyValueStore<String, LatencyWindow> store : LocalStores.of(streams, parameters, partitions)) {
            read(store, group, records);
        }
        records.sort(Comparator.comparing(LatencyAggregateRecord::getGroup)
                .thenComparing(r -> r.getRoute() == null ? "" : r.getRoute())
                .thenComparing(Comparator.comparingLong(LatencyAggregateRecord::getWindowStartMs).reversed()));
        return records;
    }

    private void read(ReadOnlyKeyValueStore<String, LatencyWindow> store, String group, List<LatencyAggregateRecord> records) {
        long sizeMs = windows.size().toMillis();
        try (KeyValueIterator<String, LatencyWindow> iterator = group == null ? store.all()
                : store.prefixScan(WindowKey.prefixOf(group), new StringSerializer())) {
            while (iterator.hasNext()) {
                KeyValue<String, LatencyWindow> entry = iterator.next();
                WindowKey key = WindowKey.decode(entry.key);
                if (group == null || key.group().equals(group)) {
                    records.add(AggregateStage.toTopic(key, entry.value, sizeMs).value);
                }
            }
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
