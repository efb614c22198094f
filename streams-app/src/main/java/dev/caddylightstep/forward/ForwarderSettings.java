package dev.caddylightstep.forward;

import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.config.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.GroupProtocol;

/**
 * How the forwarder consumes and exports.
 *
 * @param maxInFlight       export requests sent and not yet answered, at most: the backend's latency is waited out in
 *                          parallel, as the Collector's exporters do with several queue consumers. No more than
 *                          OpenTelemetry's OkHttp sender runs at once: its dispatcher keeps OkHttp's default of five
 *                          requests per host, and queues the rest inside the exporter
 * @param maxExportBytes    the most bytes of span records one export request may carry
 * @param maxSpansPerSecond 0 for no limit
 * @param exportMetrics     whether the windows' OTLP metrics (caddy.metrics) are exported too, in a group of their own
 */
public record ForwarderSettings(String groupId, int batchSize, int maxInFlight, int maxExportBytes, int maxSpansPerSecond, Duration maxBackoff,
                                String lightstepRegion, boolean exportMetrics) {
    /** The largest request OpenTelemetry's exporters send by default (their max request size), kept as the bound. */
    private static final int EXPORTER_LIMIT = 64 * 1024 * 1024;
    /** OkHttp's Dispatcher.maxRequestsPerHost, which OpenTelemetry's sender leaves at its default. */
    private static final int EXPORTER_REQUESTS_PER_HOST = 5;

    public static ForwarderSettings from(Settings s) {
        return new ForwarderSettings(
                s.string("caddy.forward.group-id"),
                s.integer("caddy.forward.batch-size", 1, 100_000),
                s.integer("caddy.forward.max-in-flight", 1, EXPORTER_REQUESTS_PER_HOST),
                maxExportBytes(s),
                s.integer("caddy.forward.max-spans-per-second", 0, 10_000_000),
                s.duration("caddy.forward.max-backoff", Duration.ofMillis(100)),
                s.choice("caddy.forward.lightstep-region", "us", "eu"),
                s.flag("caddy.metrics.export"));
    }

    /**
     * caddy.forward.max-export-bytes: also the most a record of the spans topic holds, as the forwarder dead-letters a
     * larger one whole.
     */
    public static int maxExportBytes(Settings s) {
        return s.integer("caddy.forward.max-export-bytes", 1024, EXPORTER_LIMIT);
    }

    /**
     * The consumer group of the metrics: caddy.forward.group-id followed by ".metrics", so that the spans' lag, which
     * KEDA scales the forwarders on, is the spans' alone.
     */
    public String metricsGroupId() {
        return groupId + ".metrics";
    }

    /**
     * The consumer's configuration: the forwarder's own group, offsets committed only by the forwarder once the backend
     * acknowledged, and only committed transactions of the spans topic read.
     */
    Map<String, Object> consumerProperties(Map<String, Object> kafka) {
        return consumerProperties(kafka, groupId);
    }

    /** The same for the metrics, in their own group. */
    Map<String, Object> metricsConsumerProperties(Map<String, Object> kafka) {
        return consumerProperties(kafka, metricsGroupId());
    }

    private Map<String, Object> consumerProperties(Map<String, Object> kafka, String group) {
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.consumer(kafka));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // cooperative rebalancing, unless the group runs KIP-848's protocol (where the broker assigns and a client-side
        // assignor is refused). The consumer's default list puts the eager range assignor first, and under it any
        // rejoin (a forwarder that KEDA adds or removes, a member back after its session timed out) takes every
        // partition from every member before the group is asked: each commits what it had acknowledged, and what it
        // cannot commit then (the broker away) the next owner exports again. The default list also names this
        // assignor, so one rolling restart moves a group over.
        if (!GroupProtocol.CONSUMER.name().equalsIgnoreCase(String.valueOf(props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
            props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        // a batch fills from one poll
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batchSize);
        return props;
    }
}
