package dev.caddylightstep.identity;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.schema.IdentityRecord;
import org.apache.kafka.common.serialization.Serde;

/** The serde of edge.identities values (schemas/IdentityRecord.avsc). */
public final class IdentitySerde {
    private IdentitySerde() {
    }

    public static Serde<Identity> create() {
        return new AvroSerde<>(IdentityRecord.getClassSchema(), IdentitySerde::toAvro, IdentitySerde::fromAvro);
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
