package dev.caddylightstep.run;

import dev.caddylightstep.span.SamplingSettings.KeepRule;
import dev.caddylightstep.span.SpanStage;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The spans' sampling decisions as {@code caddy_spans_sampled_total{decision="kept|dropped",reason}}: each the sum, over
 * the tasks of this instance, of the Streams metric the sampling stage records for it.
 */
final class SamplingMetrics {
    private static final String GROUP = "stream-caddy-lightstep-metrics";
    private static final String NAME = "spans-sampled-total";
    private static final String ENTITY_TAG = "caddy-lightstep-id";
    private SamplingMetrics() {
    }

    static void bind(KafkaStreams streams, MeterRegistry registry) {
        for (KeepRule rule : KeepRule.values()) {
            bind(streams, registry, "kept", rule.code());
        }
        bind(streams, registry, "kept", "ratio");
        bind(streams, registry, "dropped", "ratio");
    }

    private static void bind(KafkaStreams streams, MeterRegistry registry, String decision, String reason) {
        String entity = SpanStage.samplingMetricEntity(decision, reason);
        FunctionCounter.builder("caddy.spans.sampled", streams, s -> sum(s.metrics(), entity))
                .tag("decision", decision).tag("reason", reason)
                .description("spans the sampling stage exported (kept) or left out (dropped), by what decided")
                .register(registry);
    }

    private static double sum(Map<MetricName, ? extends Metric> metrics, String entity) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> metric : metrics.entrySet()) {
            MetricName name = metric.getKey();
            if (name.group().equals(GROUP) && name.name().equals(NAME) && entity.equals(name.tags().get(ENTITY_TAG))) {
                sum += ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        return sum;
    }
}
