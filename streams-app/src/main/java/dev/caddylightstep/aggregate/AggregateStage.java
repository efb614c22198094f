package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import dev.caddylightstep.topology.EnrichedRequest;
import dev.caddylightstep.topology.Topic;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindowedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Stage {@code aggregate}: tumbling windows of latency per group and per group and route, assigned by the
 * time Caddy logged the request. Requests are repartitioned by group once; the by-route repartition places
 * every route of a group in the same partition as the group, so that both aggregations see the same
 * records in the same order and one late-line check serves both.
 */
public final class AggregateStage {
    public static final String BY_GROUP_STORE = "latency-by-group";
    public static final String BY_ROUTE_STORE = "latency-by-route";
    private static final String STREAM_TIME_STORE = "latency-stream-time";
    // a group name comes from the identities file and a route from a request path: neither holds a NUL
    private static final char ROUTE_SEPARATOR = '\u0000';

    private AggregateStage() {
    }

    public static void apply(StreamsBuilder builder, KStream<String, EnrichedRequest> requests, WindowSettings windows,
                             Topic<LatencyKeyRecord, LatencyAggregateRecord> byGroup,
                             Topic<LatencyKeyRecord, LatencyAggregateRecord> byRoute,
                             Topic<byte[], byte[]> deadLetters) {
        Serde<LatencyObservation> observations = LatencyObservationSerde.create();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STREAM_TIME_STORE), Serdes.String(), Serdes.Long()));

        var checked = requests
                .map((key, request) -> KeyValue.pair(request.identity().group(), LatencyObservation.of(request)), Named.as("observe"))
                .repartition(Repartitioned.with(Serdes.String(), observations).withName("latency-by-group"))
                .processValues(() -> new LateLineFilter(STREAM_TIME_STORE, windows, byGroup.name()), Named.as("late-lines"), STREAM_TIME_STORE)
                .split(Named.as("window-"))
                .branch((group, c) -> c.late(), Branched.as("late"))
                .defaultBranch(Branched.as("open"));

        checked.get("window-late")
                .map((group, c) -> KeyValue.pair(group.getBytes(StandardCharsets.UTF_8), LateLineFilter.describe(c)),
                        Named.as("late-line"))
                .to(deadLetters.name(), deadLetters.producedBy("late-lines"));

        KStream<String, LatencyObservation> onTime = checked.get("window-open")
                .mapValues(LateLineFilter.Checked::observation, Named.as("on-time"));

        TimeWindows tumbling = TimeWindows.ofSizeAndGrace(windows.size(), windows.grace());
        aggregate(onTime.groupByKey(Grouped.with("by-group", Serdes.String(), observations)).windowedBy(tumbling),
                BY_GROUP_STORE, windows)
                .map((window, w) -> KeyValue.pair(new LatencyKeyRecord(window.key(), null, window.window().start()),
                        w.toRecord(window.key(), null, window.window().start(), window.window().end())), Named.as("by-group-record"))
                .to(byGroup.name(), byGroup.producedBy("by-group"));

        var byRouteStream = onTime
                .selectKey((group, o) -> routeKey(group, o.route()), Named.as("route-key"))
                .repartition(Repartitioned.with(Serdes.String(), observations).withName("latency-by-route")
                        .withStreamPartitioner(new GroupPartitioner<>()));
        aggregate(byRouteStream.groupByKey(Grouped.with("by-route", Serdes.String(), observations)).windowedBy(tumbling),
                BY_ROUTE_STORE, windows)
                .map((window, w) -> {
                    String group = groupOf(window.key());
                    String route = routeOf(window.key());
                    return KeyValue.pair(new LatencyKeyRecord(group, route, window.window().start()),
                            w.toRecord(group, route, window.window().start(), window.window().end()));
                }, Named.as("by-route-record"))
                .to(byRoute.name(), byRoute.producedBy("by-route"));
    }

    private static KStream<Windowed<String>, LatencyWindow> aggregate(TimeWindowedKStream<String, LatencyObservation> grouped,
                                                                      String store, WindowSettings windows) {
        if (windows.emit() == WindowSettings.EmitMode.FINAL) {
            grouped = grouped.emitStrategy(EmitStrategy.onWindowClose());
        }
        int exemplars = windows.exemplars();
        return grouped.aggregate(LatencyWindow::new, (key, o, window) -> window.add(o, exemplars),
                        Named.as(store),
                        Materialized.<String, LatencyWindow, WindowStore<Bytes, byte[]>>as(store)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(LatencyWindowSerde.create())
                                .withRetention(windows.retention()))
                .toStream(Named.as(store + "-updates"));
    }

    /** The key of a group's route in the by-route store. */
    public static String routeKey(String group, String route) {
        return group + ROUTE_SEPARATOR + route;
    }

    public static String groupOf(String routeKey) {
        int at = routeKey.indexOf(ROUTE_SEPARATOR);
        return at < 0 ? routeKey : routeKey.substring(0, at);
    }

    public static String routeOf(String routeKey) {
        int at = routeKey.indexOf(ROUTE_SEPARATOR);
        return at < 0 ? "" : routeKey.substring(at + 1);
    }

    /**
     * Partitions a by-route key by its group alone, exactly as the default partitioner places the group's key
     * in the by-group repartition topic: a group's routes land in the partition its group did.
     */
    public static final class GroupPartitioner<V> implements StreamPartitioner<String, V> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String routeKey, V value, int numPartitions) {
            byte[] group = groupOf(routeKey).getBytes(StandardCharsets.UTF_8);
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(group)) % numPartitions));
        }
    }
}
