package dev.caddylightstep.span;

import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.topology.EnrichedRequest;
import dev.caddylightstep.topology.RecordLimit;
import dev.caddylightstep.topology.Topic;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Writes one OTLP span per request to the spans topic, keyed by trace id so that a trace stays in one partition. A span
 * larger than the application writes (its path and query are the client's) becomes a dead letter as it is serialized.
 */
public final class SpanStage {
    private SpanStage() {
    }

    public static <K> void apply(KStream<K, EnrichedRequest> requests, SpanMapper mapper, Topic<String, byte[]> spans, RecordLimit limit) {
        requests.map((key, request) -> RecordFailure.guard("span",
                        () -> KeyValue.pair(request.event().trace().traceId(), mapper.toRecord(request))), Named.as("span"))
                .to(spans.name(), spans.limitedTo(limit).producedBy("span"));
    }
}
