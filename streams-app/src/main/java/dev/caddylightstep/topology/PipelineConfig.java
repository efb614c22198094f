package dev.caddylightstep.topology;

import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.identity.IdentityJoin;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.sli.SliSettings;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SamplingSettings;
import dev.caddylightstep.span.SpanBatchSettings;
import dev.caddylightstep.span.SpanResource;
import dev.caddylightstep.topics.RecordLimit;
import dev.caddylightstep.topics.TopicNames;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Everything the topology is built from, validated: each part read from the settings by its own package
 * ({@code X.from(Settings)}); the topology reads nothing else.
 *
 * @param kafka Kafka client and Streams properties, passed through untouched (TLS and SASL included)
 * @param recordLimit the largest value the topology writes in one record
 * @param spanBatches how full a record of the spans topic gets
 * @param accessPartitions partitions of the access topic, as many as the tasks that make partial windows; 0 when not
 *     known (the topology alone, as tests build it): read from the broker before the topology runs, not a setting
 * @param spanPartitions partitions of the spans topic, which the span batches are gathered for; read and 0 alike
 */
public record PipelineConfig(
        Map<String, Object> kafka,
        TopicNames topics,
        LogFormat logFormat,
        Redaction redaction,
        CapturedHeaders capturedHeaders,
        StageSettings stages,
        IdentitySource identitySource,
        IdentityJoin identityJoin,
        RouteTemplates routes,
        WindowSettings windows,
        ClientAddressMasking clientAddress,
        SpanResource resource,
        SamplingSettings sampling,
        SliSettings sli,
        RecordLimit recordLimit,
        SpanBatchSettings spanBatches,
        int accessPartitions,
        int spanPartitions) {

    public PipelineConfig {
        kafka = Map.copyOf(kafka);
    }

    public static PipelineConfig from(Settings s) {
        requireExactlyOnce(s);
        Redaction redaction = Redaction.from(s);
        RecordLimit limit = RecordLimit.underRequestSize(s.producerMaxRequestSize());
        return new PipelineConfig(s.kafka(), s.topicNames(), LogFormat.from(s, limit), redaction, CapturedHeaders.from(s, redaction),
                StageSettings.from(s), IdentitySource.from(s), IdentityJoin.from(s), RouteTemplates.from(s), WindowSettings.from(s), ClientAddressMasking.from(s),
                SpanResource.from(s), SamplingSettings.from(s), SliSettings.from(s), limit,
                SpanBatchSettings.from(s, Math.min(limit.maxValueBytes(), ForwarderSettings.maxExportBytes(s))), 0, 0);
    }

    /** This config, knowing how many partitions the access and the spans topics have. */
    public PipelineConfig withPartitions(int access, int spans) {
        return new PipelineConfig(kafka, topics, logFormat, redaction, capturedHeaders, stages, identitySource, identityJoin, routes, windows,
                clientAddress, resource, sampling, sli, recordLimit, spanBatches, access, spans);
    }

    /**
     * Partial windows travel to their group's task in each commit: only exactly_once_v2 makes a partial and the input
     * it counts one transaction, so that a crash or a rebalance neither loses nor repeats it.
     */
    private static void requireExactlyOnce(Settings s) {
        boolean allowed = s.flag("caddy.allow-at-least-once");
        String guarantee = String.valueOf(s.kafka().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).trim();
        if (allowed || guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
            return;
        }
        throw new ConfigException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + "=" + guarantee + " is refused: partial windows are sent in each"
                + " commit, and without exactly_once_v2 a crash or rebalance sends them again, so windows would count requests twice;"
                + " keep exactly_once_v2, or set caddy.allow-at-least-once=true to accept that");
    }
}
