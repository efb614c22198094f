package dev.caddylightstep.aggregate;

import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Stage {@code aggregate}: tumbling windows of latency per group and per group and route, assigned by the
 * time Caddy logged the request, in two steps: each task keeps partial windows of the requests it enriched
 * ({@link PartialWindows}), and in each commit sends them to the task of their group, which merges them into the
 * windows it keeps and writes ({@link WindowMerge}). Requests cross no topic on their way to the windows:
 * a repartition per request would cost more than everything else the application does with it.
 */
public final class AggregateStage {
    public static final String BY_GROUP_STORE = "latency-by-group";
    public static final String BY_ROUTE_STORE = "latency-by-route";
    private static final String PARTIALS_STORE = "latency-partials";
    static final String STREAM_TIME_STORE = "latency-stream-time";
    static final String MERGE_TIME_STORE = "latency-merge-time";
    private static final String ROUTE_COUNT_STORE = "latency-route-counts";
    /** The node the partial windows go to, the first of their repartition to the task of their group. */
    public static final String PARTIALS = "latency-windows-repartition-filter";
    /** A store of no data and no changelog, through which the partial windows learn that their task commits (see {@link BeforeCommit}). */
    public static final String PARTIALS_COMMIT_STORE = "latency-partials-commit";

    private AggregateStage() {
    }

    /**
     * What the stage writes: the windows of the groups and of their routes, as their topics have them, and the dead
     * letters of partials that came after their window was purged; and, in the task of their group, the windows of the
     * group and of its routes as they close (the key is none: whatever follows stays in that task, with its stores).
     */
    public record Windows(KStream<LatencyKeyRecord, LatencyAggregateRecord> byGroup, KStream<LatencyKeyRecord, LatencyAggregateRecord> byRoute,
                          KStream<byte[], byte[]> latePartials, KStream<Void, ClosedWindows> closed) {
    }

    /**
     * Adds the stores of the first half of the windows, which the processor the requests go through keeps; returns
     * their names, to connect that processor to them.
     */
    public static String[] partialStores(StreamsBuilder builder) {
        // partial windows are written once a commit, each once (see PartialWindows): nothing for a record cache to save
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PARTIALS_STORE), Serdes.String(),
                LatencyWindowSerde.create()).withCachingDisabled());
        builder.addStateStore(BeforeCommit.builder(PARTIALS_COMMIT_STORE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STREAM_TIME_STORE), Serdes.String(), Serdes.Long()));
        return new String[] {PARTIALS_STORE, STREAM_TIME_STORE, PARTIALS_COMMIT_STORE};
    }

    /** The first half of the windows, for one task's processor connected to the {@link #partialStores}. */
    public static PartialWindows partialWindows(WindowSettings windows, StageSettings stages) {
        return new PartialWindows(PARTIALS_STORE, STREAM_TIME_STORE, PARTIALS_COMMIT_STORE, windows, stages);
    }

    /**
     * The second half: the partial windows of every task, merged in the task of their group.
     *
     * @param feeders how many tasks make partial windows (the access topic's partitions), 0 when not known: a merging
     *     task closes its first window once it heard from that many, or after {@link WindowMerge#TAKEOVER_MS}
     */
    public static Windows apply(StreamsBuilder builder, KStream<String, LatencyWindow> partials, WindowSettings windows, StageSettings stages,
                                int feeders) {
        Serde<LatencyWindow> windowSerde = LatencyWindowSerde.create();
        for (String store : new String[] {BY_GROUP_STORE, BY_ROUTE_STORE}) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), windowSerde)
                    .withCachingEnabled());
        }
        for (String store : new String[] {MERGE_TIME_STORE, ROUTE_COUNT_STORE}) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.Long()));
        }

        var merged = partials
                .repartition(Repartitioned.with(Serdes.String(), windowSerde).withName("latency-windows")
                        .withStreamPartitioner(new WindowKey.ByGroup<>()))
                .process(() -> new WindowMerge(BY_GROUP_STORE, BY_ROUTE_STORE, MERGE_TIME_STORE, ROUTE_COUNT_STORE, windows, stages, feeders),
                        Named.as("merge-windows"), BY_GROUP_STORE, BY_ROUTE_STORE, MERGE_TIME_STORE, ROUTE_COUNT_STORE)
                .split(Named.as("merged-"))
                .branch((key, out) -> out.closed() != null, Branched.as("closed"))
                .branch((key, out) -> out.latePartial() != null, Branched.as("late"))
                .branch((key, out) -> key.route() == null, Branched.as("group"))
                .defaultBranch(Branched.as("route"));

        long sizeMs = windows.size().toMillis();
        return new Windows(
                merged.get("merged-group").map((key, out) -> toTopic(key, out.window(), sizeMs), Named.as("by-group-record")),
                merged.get("merged-route").map((key, out) -> toTopic(key, out.window(), sizeMs), Named.as("by-route-record")),
                merged.get("merged-late").map((key, out) -> KeyValue.pair(key.group().getBytes(StandardCharsets.UTF_8), out.latePartial()),
                        Named.as("late-partial")),
                merged.get("merged-closed").map((key, out) -> KeyValue.<Void, ClosedWindows>pair(null, out.closed()), Named.as("closed-windows")));
    }

    static KeyValue<LatencyKeyRecord, LatencyAggregateRecord> toTopic(WindowKey key, LatencyWindow window, long sizeMs) {
        return KeyValue.pair(new LatencyKeyRecord(key.group(), key.route(), key.windowStart()),
                window.toRecord(key.group(), key.route(), key.windowStart(), key.windowStart() + sizeMs));
    }
}
