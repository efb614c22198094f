package dev.caddylightstep.policy;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.avro.Remembering;
import dev.caddylightstep.schema.PolicyRecord;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The serde of edge.policies values (schemas/PolicyRecord.avsc); a policy is decoded and its rules compiled once
 * per version, not once per request ({@link Remembering}).
 */
public final class PolicySerde {
    private static final int REMEMBERED_POLICIES = 1024;

    private PolicySerde() {
    }

    public static Serde<Policy> create() {
        AvroSerde<Policy, PolicyRecord> avro =
                new AvroSerde<>(PolicyRecord.getClassSchema(), PolicySerde::toAvro, PolicySerde::fromAvro);
        return Serdes.serdeFrom(avro.serializer(), new Remembering<>(avro.deserializer(), REMEMBERED_POLICIES));
    }

    static PolicyRecord toAvro(Policy policy) {
        return new PolicyRecord(policy.group(), texts(policy.allow()), texts(policy.deny()), policy.latencySloMs(), policy.latencyTarget(),
                policy.availabilityTarget(), policy.sampleRatio());
    }

    /** Throws IllegalArgumentException naming the invalid rule. */
    static Policy fromAvro(PolicyRecord r) {
        return new Policy(r.getGroup(), rules(r.getGroup(), "allow", r.getAllow()), rules(r.getGroup(), "deny", r.getDeny()),
                r.getLatencySloMs(), r.getLatencyTarget(), r.getAvailabilityTarget(), r.getSampleRatio());
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
}
