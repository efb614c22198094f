package dev.caddylightstep.topology;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.AccessEventSerde;
import dev.caddylightstep.access.ParseStage;
import dev.caddylightstep.aggregate.AggregateStage;
import dev.caddylightstep.aggregate.RouteCap;
import dev.caddylightstep.identity.EnrichStage;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentifiedRequest;
import dev.caddylightstep.identity.IdentityJoin;
import dev.caddylightstep.sli.SliStage;
import dev.caddylightstep.slo.SloStage;
import dev.caddylightstep.span.SpanMapper;
import dev.caddylightstep.span.SpanStage;
import dev.caddylightstep.topics.Topic;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The whole application as one Kafka Streams topology, built from the configuration alone (no I/O):
 * parse → identify → enrich → judge → cap routes, then spans and latency windows, and from the closed windows the
 * objectives' alerts and the OTLP metrics. Each request goes through one processor node ({@link RequestPath}), which
 * calls these stages in this order; with the partitioned join, the repartition by identity splits it in two.
 */
public final class PipelineTopology {
    public static final String IDENTITIES_STORE = "identities";
    public static final String POLICIES_STORE = "policies";

    private PipelineTopology() {
    }

    public static Topology build(PipelineConfig config) {
        Topics topics = Topics.of(config.topics());
        StreamsBuilder builder = new StreamsBuilder();

        // policies are few, and every request looks its group's up
        TableVersion policies = globalTable(builder, POLICIES_STORE, topics.policies());

        KStream<byte[], byte[]> lines = builder.stream(topics.access().name(), topics.access().consumed());
        String[] stores = Stream.of(AggregateStage.partialStores(builder), SpanStage.stores(builder)).flatMap(Arrays::stream)
                .toArray(String[]::new);
        RequestPath.Children children = new RequestPath.Children(topics.accessDeadLetters().sinkName("requests"),
                topics.spans().sinkName("span"), AggregateStage.PARTIALS);
        // one for every task: it encodes what repeats (attributes, resources) once, for every stream thread
        SpanMapper spans = new SpanMapper(config.resource().attributes(), config.clientAddress(), config.capturedHeaders(), config.stages());
        KStream<Object, Object> requests;
        if (config.identityJoin() == IdentityJoin.GLOBAL) {
            TableVersion identities = globalTable(builder, IDENTITIES_STORE, topics.identities());
            requests = lines.process(() -> requestPath(new RequestPath.Lines(parseStage(config), config.identitySource(),
                    new TableLookup<>(IDENTITIES_STORE, identities)), config, children, spans, policies), Named.as("requests"), stores);
        } else {
            KStream<Object, Object> parsed = lines.process(() -> new RequestPath.ParsedLines(parseStage(config),
                    topics.accessDeadLetters().sinkName("parse"), EnrichStage.IDENTIFY), Named.as("parse"));
            deadLetters(parsed, topics, "parse");
            requests = identifiedPartitioned(builder, config, topics, RequestPath.outputs(parsed))
                    .process(() -> requestPath(new RequestPath.Identified<>(), config, children, spans, policies), Named.as("requests"), stores);
        }
        deadLetters(requests, topics, "requests");
        RequestPath.<String, byte[]>outputs(requests).to(topics.spans().name(), topics.spans().producedBy("span"));

        AggregateStage.Windows windows = AggregateStage.apply(builder, RequestPath.outputs(requests), config.windows(), config.stages(),
                config.accessPartitions());
        windows.byGroup().to(topics.latencyByGroup().name(), topics.latencyByGroup().producedBy("by-group"));
        windows.byRoute().to(topics.latencyByRoute().name(), topics.latencyByRoute().producedBy("by-route"));
        windows.latePartials().to(topics.accessDeadLetters().name(), topics.accessDeadLetters().producedBy("late-partials"));
        SloStage.apply(builder, windows.closed(), POLICIES_STORE, config.windows().size())
                .to(topics.sloAlerts().name(), topics.sloAlerts().producedBy("slo-alerts"));
        if (config.sli().export()) {
            SliStage.apply(windows.closed(), config.resource().attributes())
                    .to(topics.metrics().name(), topics.metrics().producedBy("window-metrics"));
        }
        return builder.build();
    }

    private static ParseStage parseStage(PipelineConfig config) {
        return new ParseStage(config.logFormat(), config.redaction(), config.identitySource().requestHeaders(), config.capturedHeaders());
    }

    /** The path of one task's requests after its intake: the stages hold the task's state. */
    private static <K, V> RequestPath<K, V> requestPath(RequestPath.Intake<K, V> intake, PipelineConfig config, RequestPath.Children children,
                                                     SpanMapper spans, TableVersion policies) {
        return new RequestPath<>(intake, children, new TableLookup<>(POLICIES_STORE, policies), config.routes(), new RouteCap(config.windows()),
                AggregateStage.partialWindows(config.windows(), config.stages()),
                new SpanStage(spans, config.sampling(), config.windows(), config.spanBatches(), config.spanPartitions()));
    }

    private static void deadLetters(KStream<Object, Object> node, Topics topics, String stage) {
        RequestPath.<byte[], byte[]>outputs(node).to(topics.accessDeadLetters().name(), topics.accessDeadLetters().producedBy(stage));
    }

    /**
     * A global table, kept by {@link TableUpdates} in a store that every request reads: in memory, where a RocksDB lookup
     * per request was 5–6% of the stream threads' samples in bench for each table, and without a record cache, whose read
     * lock and look-up in the global thread's cache came before every lookup in the store for another 3% (the global
     * thread's writes are rare). The topic is the store's changelog. The version counts the table's changes for the
     * request paths' {@link TableLookup}s.
     */
    private static <V> TableVersion globalTable(StreamsBuilder builder, String name, Topic<String, V> topic) {
        TableVersion version = new TableVersion();
        builder.addGlobalStore(Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), topic.keySerde(), topic.valueSerde())
                        .withCachingDisabled().withLoggingDisabled(),
                topic.name(), topic.consumed(), () -> new TableUpdates<>(name, version));
        return version;
    }

    private static KStream<String, IdentifiedRequest> identifiedPartitioned(StreamsBuilder builder, PipelineConfig config, Topics topics,
                                                                            KStream<byte[], AccessEvent> parsed) {
        Materialized<String, Identity, KeyValueStore<Bytes, byte[]>> store = Materialized.<String, Identity, KeyValueStore<Bytes, byte[]>>as(IDENTITIES_STORE)
                .withKeySerde(topics.identities().keySerde()).withValueSerde(topics.identities().valueSerde());
        KTable<String, Identity> identities = builder.table(topics.identities().name(), topics.identities().consumed(), store);
        return EnrichStage.partitioned(parsed, config.identitySource(), identities, config.recordLimit().on(AccessEventSerde.create()));
    }
}
