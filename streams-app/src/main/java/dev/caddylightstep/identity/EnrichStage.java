package dev.caddylightstep.identity;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.deadletter.RecordFailure;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Stages {@code identify} and {@code enrich}: each request is keyed by its identity and joined with the
 * identities table. Global (the default), every instance holds the whole table and no request crosses a topic:
 * the cost grows with the table, which is small next to the traffic. Partitioned, requests that carry an identity
 * are repartitioned by it, so that each meets its table entry in the task that holds it: the table may be as large
 * as the cluster, for a second trip through the broker per request. Anonymous requests need no table either way.
 */
public final class EnrichStage {
    /** The node that keys each parsed request by its identity for the repartition: the parse node forwards to it. */
    public static final String IDENTIFY = "identify";

    private EnrichStage() {
    }

    public static KStream<String, IdentifiedRequest> partitioned(KStream<byte[], AccessEvent> events, IdentitySource source,
                                                                 KTable<String, Identity> identities, Serde<AccessEvent> eventSerde) {
        var byIdentity = identify(events, source);
        KStream<String, IdentifiedRequest> identified = byIdentity.get("identity-known")
                .repartition(Repartitioned.with(Serdes.String(), eventSerde).withName("by-identity"))
                .leftJoin(identities,
                        (identity, event, entry) -> new IdentifiedRequest(event, identityOf(identity, entry)),
                        Joined.<String, AccessEvent, Identity>as("enrich").withKeySerde(Serdes.String()).withValueSerde(eventSerde));

        return identified.merge(anonymous(byIdentity), Named.as("identified"));
    }

    /**
     * Global: the request with its entry of the identities table, which every instance holds whole ({@code identities}
     * looks an identity up in it); a request without an identity needs none.
     */
    public static IdentifiedRequest global(AccessEvent event, IdentitySource source, Function<String, Identity> identities) {
        String identity = RecordFailure.guard("identify", () -> source.keyOf(event));
        return new IdentifiedRequest(event, identityOf(identity, identity == null ? null : identities.apply(identity)));
    }

    private static Identity identityOf(String identity, Identity entry) {
        if (identity == null) {
            return Identity.anonymous();
        }
        return entry != null ? entry : Identity.unknown(identity);
    }

    private static Map<String, KStream<String, AccessEvent>> identify(KStream<byte[], AccessEvent> events, IdentitySource source) {
        return events
                .selectKey((key, event) -> RecordFailure.guard("identify", () -> source.keyOf(event)), Named.as(IDENTIFY))
                .split(Named.as("identity-"))
                .branch((identity, event) -> identity == null, Branched.as("none"))
                .defaultBranch(Branched.as("known"));
    }

    private static KStream<String, IdentifiedRequest> anonymous(Map<String, KStream<String, AccessEvent>> byIdentity) {
        return byIdentity.get("identity-none").mapValues(event -> new IdentifiedRequest(event, Identity.anonymous()), Named.as("anonymous"));
    }
}
