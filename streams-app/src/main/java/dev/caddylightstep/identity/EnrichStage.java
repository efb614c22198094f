package dev.caddylightstep.identity;

import dev.caddylightstep.access.AccessEvent;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Stages {@code identify} and {@code enrich}: each request is keyed by its identity and joined with the
 * identities table. Requests that carry an identity are repartitioned by it, so that each meets its table
 * entry in the same task; anonymous requests need no table and skip the repartition.
 */
public final class EnrichStage {
    private EnrichStage() {
    }

    public static KStream<String, IdentifiedRequest> apply(KStream<byte[], AccessEvent> events, IdentitySource source,
                                                           KTable<String, Identity> identities, Serde<AccessEvent> eventSerde) {
        var byIdentity = events
                .selectKey((key, event) -> source.keyOf(event), Named.as("identify"))
                .split(Named.as("identity-"))
                .branch((identity, event) -> identity == null, Branched.as("none"))
                .defaultBranch(Branched.as("known"));

        KStream<String, IdentifiedRequest> anonymous = byIdentity.get("identity-none")
                .mapValues(event -> new IdentifiedRequest(event, Identity.anonymous()), Named.as("anonymous"));

        KStream<String, IdentifiedRequest> identified = byIdentity.get("identity-known")
                .repartition(Repartitioned.with(Serdes.String(), eventSerde).withName("by-identity"))
                .leftJoin(identities,
                        (identity, event, entry) -> new IdentifiedRequest(event, entry != null ? entry : Identity.unknown(identity)),
                        Joined.<String, AccessEvent, Identity>as("enrich").withKeySerde(Serdes.String()).withValueSerde(eventSerde));

        return identified.merge(anonymous, Named.as("identified"));
    }
}
