package dev.caddylightstep.identity;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.avro.Remembering;
import dev.caddylightstep.schema.IdentityRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** The serde of edge.identities values (schemas/IdentityRecord.avsc); an identity is decoded once per version ({@link Remembering}). */
public final class IdentitySerde {
    private static final int REMEMBERED_IDENTITIES = 100_000;

    private IdentitySerde() {
    }

    public static Serde<Identity> create() {
        AvroSerde<Identity, IdentityRecord> avro =
                new AvroSerde<>(IdentityRecord.getClassSchema(), IdentitySerde::toAvro, IdentitySerde::fromAvro);
        return Serdes.serdeFrom(avro.serializer(), new Remembering<>(avro.deserializer(), REMEMBERED_IDENTITIES));
    }

    static IdentityRecord toAvro(Identity identity) {
        return new IdentityRecord(identity.id(), identity.group(), identity.tenant(), identity.roles());
    }

    static Identity fromAvro(IdentityRecord r) {
        if (r.getGroup().isBlank()) {
            throw new IllegalArgumentException("identity " + r.getId() + " has an empty group");
        }
        return new Identity(r.getId(), r.getGroup(), r.getTenant(), r.getRoles());
    }
}
