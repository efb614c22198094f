package dev.caddylightstep.topology;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySerde;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicySerde;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.schema.SloKeyRecord;
import dev.caddylightstep.topics.Topic;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.topics.TopicSpec;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic the application touches, as named in this deployment, each bound once to the serdes of its keys and values. */
public record Topics(
        Topic<byte[], byte[]> access,
        Topic<byte[], byte[]> accessDeadLetters,
        Topic<String, Identity> identities,
        Topic<String, Policy> policies,
        Topic<String, byte[]> spans,
        Topic<byte[], byte[]> spanDeadLetters,
        Topic<LatencyKeyRecord, LatencyAggregateRecord> latencyByGroup,
        Topic<LatencyKeyRecord, LatencyAggregateRecord> latencyByRoute,
        Topic<SloKeyRecord, SloAlertRecord> sloAlerts,
        Topic<String, byte[]> metrics) {

    public static Topics of(TopicNames names) {
        return new Topics(
                new Topic<>(names.name(TopicSpec.ACCESS), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.name(TopicSpec.ACCESS_DLQ), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.name(TopicSpec.IDENTITIES), Serdes.String(), IdentitySerde.create()),
                new Topic<>(names.name(TopicSpec.POLICIES), Serdes.String(), PolicySerde.create()),
                new Topic<>(names.name(TopicSpec.SPANS), Serdes.String(), Serdes.ByteArray()),
                new Topic<>(names.name(TopicSpec.SPANS_DLQ), Serdes.ByteArray(), Serdes.ByteArray()),
                new Topic<>(names.name(TopicSpec.LATENCY_BY_GROUP), AvroSerde.of(LatencyKeyRecord.getClassSchema()),
                        AvroSerde.of(LatencyAggregateRecord.getClassSchema())),
                new Topic<>(names.name(TopicSpec.LATENCY_BY_ROUTE), AvroSerde.of(LatencyKeyRecord.getClassSchema()),
                        AvroSerde.of(LatencyAggregateRecord.getClassSchema())),
                new Topic<>(names.name(TopicSpec.SLO_ALERTS), AvroSerde.of(SloKeyRecord.getClassSchema()), AvroSerde.of(SloAlertRecord.getClassSchema())),
                new Topic<>(names.name(TopicSpec.METRICS), Serdes.String(), Serdes.ByteArray()));
    }
}
