package dev.caddylightstep.span;

import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/** One OTLP span record per request, keyed by trace id so that a trace stays in one partition of the spans topic. */
public final class SpanStage {
    private SpanStage() {
    }

    public static <K> KStream<String, byte[]> apply(KStream<K, EnrichedRequest> requests, SpanMapper mapper) {
        return requests.map((key, request) -> RecordFailure.guard("span",
                () -> KeyValue.pair(request.event().trace().traceId(), mapper.toRecord(request))), Named.as("span"));
    }
}
