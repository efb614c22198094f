package dev.caddylightstep.policy;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.schema.PolicyRecord;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The serde of edge.policies values (schemas/PolicyRecord.avsc). The global table hands the joiner freshly
 * deserialized bytes on every lookup: the compiled policy is remembered by those bytes, so that rules are
 * compiled once per version of a policy, not once per request.
 */
public final class PolicySerde {
    private static final int REMEMBERED_POLICIES = 1024;

    private PolicySerde() {
    }

    public static Serde<Policy> create() {
        AvroSerde<Policy, PolicyRecord> avro =
                new AvroSerde<>(PolicyRecord.getClassSchema(), PolicySerde::toAvro, PolicySerde::fromAvro);
        return Serdes.serdeFrom(avro.serializer(), new Remembering(avro.deserializer()));
    }

    static PolicyRecord toAvro(Policy policy) {
        return new PolicyRecord(policy.group(), texts(policy.allow()), texts(policy.deny()), policy.latencySloMs());
    }

    /** Throws IllegalArgumentException naming the invalid rule. */
    static Policy fromAvro(PolicyRecord r) {
        return new Policy(r.getGroup(), rules(r.getGroup(), "allow", r.getAllow()), rules(r.getGroup(), "deny", r.getDeny()),
                r.getLatencySloMs());
    }

    private static List<String> texts(List<AccessRule> rules) {
        return rules.stream().map(AccessRule::text).toList();
    }

    private static List<AccessRule> rules(String group, String kind, List<String> texts) {
        return texts.stream().map(text -> {
            try {
                return AccessRule.parse(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("policy " + group + ", " + kind + ": " + e.getMessage(), e);
            }
        }).toList();
    }

    /** Deserializes through a small bounded memory of recent encodings. */
    private static final class Remembering implements Deserializer<Policy> {
        private final Deserializer<Policy> inner;
        private final Map<ByteBuffer, Policy> recent = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Policy> eldest) {
                return size() > REMEMBERED_POLICIES;
            }
        };

        Remembering(Deserializer<Policy> inner) {
            this.inner = inner;
        }

        @Override
        public synchronized Policy deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            ByteBuffer key = ByteBuffer.wrap(data);
            Policy policy = recent.get(key);
            if (policy == null) {
                policy = inner.deserialize(topic, data);
                recent.put(ByteBuffer.wrap(data.clone()), policy);
            }
            return policy;
        }
    }
}
