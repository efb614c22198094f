package dev.caddylightstep.span;

import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * Stages {@code sample} and {@code span}: the OTLP span record of each request sampled in ({@link SpanSampling}),
 * to be keyed by its trace id so that a trace stays in one partition of the spans topic. One instance per task: the
 * sampling's trackers and sensors are the task's.
 */
public final class SpanStage {
    private final SpanMapper mapper;
    private final SpanSampling sampling;

    public SpanStage(SpanMapper mapper, SamplingSettings sampling, WindowSettings windows) {
        this.mapper = mapper;
        this.sampling = new SpanSampling(sampling, windows);
    }

    public void init(StreamsMetrics metrics) {
        sampling.init(metrics);
    }

    /**
     * The entity of the Streams metric {@code spans-sampled-total} (scope caddy-lightstep) that counts one decision of the
     * sampling stage: kept by a keep rule's code or by the ratio, or dropped by the ratio.
     */
    public static String samplingMetricEntity(String decision, String reason) {
        return "spans-sampled-" + decision + "-" + reason;
    }

    /** The span record of the request, or null when it is sampled out. */
    public byte[] span(long timestamp, EnrichedRequest request) {
        String traceState = sampling.traceState(timestamp, request);
        if (traceState == null) {
            return null;
        }
        String exported = traceState.isEmpty() ? request.event().trace().traceState() : traceState;
        return RecordFailure.guard("span", () -> mapper.toRecord(request, exported));
    }
}
