package dev.caddylightstep.aggregate;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.schema.LatencyObservationRecord;
import org.apache.kafka.common.serialization.Serde;

/** The serde of latency observations on the aggregates' repartition topics (schemas/LatencyObservationRecord.avsc). */
final class LatencyObservationSerde {
    private LatencyObservationSerde() {
    }

    static Serde<LatencyObservation> create() {
        return new AvroSerde<>(LatencyObservationRecord.getClassSchema(), LatencyObservationSerde::toAvro, LatencyObservationSerde::fromAvro);
    }

    private static LatencyObservationRecord toAvro(LatencyObservation o) {
        return new LatencyObservationRecord(o.group(), o.route(), o.durationNanos(), o.status(), o.size(),
                o.misfire() == null ? null : dev.caddylightstep.schema.Misfire.valueOf(o.misfire().code()),
                o.sloBreached(), o.traceId(), o.spanId());
    }

    private static LatencyObservation fromAvro(LatencyObservationRecord r) {
        return new LatencyObservation(r.getGroup(), r.getRoute(), r.getDurationNanos(), r.getStatus(), r.getSize(),
                r.getMisfire() == null ? null : Misfire.valueOf(r.getMisfire().name().toUpperCase(java.util.Locale.ROOT)),
                r.getSloBreached(), r.getTraceId(), r.getSpanId());
    }
}
