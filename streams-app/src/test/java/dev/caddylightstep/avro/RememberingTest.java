package dev.caddylightstep.avro;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySerde;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class RememberingTest {
    private final Serde<Identity> serde = IdentitySerde.create();

    private byte[] encoded(Identity identity) {
        return serde.serializer().serialize("edge.identities", identity);
    }

    @Test
    void theSameEncodingIsDecodedOnce() {
        byte[] alice = encoded(new Identity("alice", "staff", "acme", List.of("admin")));

        Identity first = serde.deserializer().deserialize("edge.identities", alice);
        Identity again = serde.deserializer().deserialize("edge.identities", alice.clone());

        assertThat(again).isSameAs(first);
    }

    @Test
    void aNewVersionOfAnEntryIsDecodedAfresh() {
        serde.deserializer().deserialize("edge.identities", encoded(new Identity("alice", "staff", "acme", List.of())));

        Identity moved = serde.deserializer().deserialize("edge.identities", encoded(new Identity("alice", "contractors", "acme", List.of())));

        assertThat(moved.group()).isEqualTo("contractors");
    }

    @Test
    void aFullMemoryForgetsAndKeepsDecoding() {
        Remembering<Identity> small = new Remembering<>(serde.deserializer(), 2);
        for (String user : List.of("alice", "bob", "carol", "dave")) {
            assertThat(small.deserialize("edge.identities", encoded(new Identity(user, "staff", null, List.of()))).id()).isEqualTo(user);
        }
    }
}
