package dev.caddylightstep.topology;

import dev.caddylightstep.config.TopicNames;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySerde;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicySerde;
import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic the application touches, each with the serdes of its keys and values. */
public record Topics(
        Topic<byte[], byte[]> access,
        Topic<byte[], byte[]> accessDeadLetters,
        Topic<String, Identity> identities,
        Topic<String, Policy> policies,
        Topic<String, byte[]> spans,
        Topic<byte[], byte[]> spanDeadLetters,
        Topic<LatencyKeyRecord, LatencyAggregateRecord> latencyByGroup,
        Topic<LatencyKeyRecord, LatencyAggregateRecord> latencyByRoute) {

    public static Topics of(TopicNames names) {
        return new Topics(
                new Topic<>(names.access(), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.accessDeadLetters(), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.identities(), Serdes.String(), IdentitySerde.create()),
                new Topic<>(names.policies(), Serdes.String(), PolicySerde.create()),
                new Topic<>(names.spans(), Serdes.String(), Serdes.ByteArray()),
                new Topic<>(names.spanDeadLetters(), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.latencyByGroup(), AvroSerde.of(LatencyKeyRecord.getClassSchema()), AvroSerde.of(LatencyAggregateRecord.getClassSchema())),
                new Topic<>(names.latencyByRoute(), AvroSerde.of(LatencyKeyRecord.getClassSchema()), AvroSerde.of(LatencyAggregateRecord.getClassSchema())));
    }
}
