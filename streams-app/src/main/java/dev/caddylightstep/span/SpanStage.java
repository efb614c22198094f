package dev.caddylightstep.span;

import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * One OTLP span record per request sampled in, keyed by trace id so that a trace stays in one partition of the spans
 * topic.
 */
public final class SpanStage {
    private SpanStage() {
    }

    /**
     * The entity of the Streams metric {@code spans-sampled-total} (scope caddy-lightstep) that counts one decision of the
     * sampling stage: kept by a keep rule's code or by the ratio, or dropped by the ratio.
     */
    public static String samplingMetricEntity(String decision, String reason) {
        return "spans-sampled-" + decision + "-" + reason;
    }

    /** The span records of the requests sampled in (see {@link SpanSampling}). */
    public static <K> KStream<String, byte[]> apply(KStream<K, EnrichedRequest> requests, SpanMapper mapper, SamplingSettings sampling,
                                                    WindowSettings windows) {
        return requests.processValues(() -> new SpanSampling<K>(sampling, windows), Named.as("sample"))
                .map((key, sampled) -> RecordFailure.guard("span", () -> KeyValue.pair(sampled.request().event().trace().traceId(),
                        mapper.toRecord(sampled.request(), sampled.traceState()))), Named.as("span"));
    }
}
