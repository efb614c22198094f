package dev.caddylightstep.topics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Every topic the application reads or writes, declared once: the suffix of its setting ({@code caddy.topic.SUFFIX}),
 * its default name, what its records are, and how {@code topics create} makes it. The settings, {@code topics create},
 * the Strimzi manifests' drift tests and the README's topic table all follow from here; the serdes of each topic are
 * bound to it once, where the topology is assembled.
 */
public enum TopicSpec {
    ACCESS("access", "caddy.access", "raw Caddy JSON access-log lines, one per record",
            "ignored", "one Caddy JSON access-log line", Cleanup.DELETE, Duration.ofDays(7), true, false),
    ACCESS_DLQ("access-dlq", "caddy.access.dlq", "lines that are not well-formed access entries, with the reason in headers",
            "as the source", "the line, redacted (late lines: a JSON description) + headers", Cleanup.DELETE, Duration.ofDays(14), true, false),
    IDENTITIES("identities", "edge.identities", "compacted: identity id -> group, tenant, roles",
            "identity id", "Avro `IdentityRecord`", Cleanup.COMPACT, null, false, false),
    POLICIES("policies", "edge.policies", "compacted: group -> allow/deny rules and latency objective",
            "group", "Avro `PolicyRecord`", Cleanup.COMPACT, null, false, false),
    // the buffer that carries spans through a backend outage: a day from when the span was written, not from Caddy's
    // time, which a backlog replayed after an outage puts in the past; a batch of spans may be as large as the
    // application writes (RecordLimit), and one the broker refused would fail the transaction
    SPANS("spans", "caddy.spans", "OTLP ExportTraceServiceRequests, each up to caddy.spans.max-batch spans of the traces of its partition"
            + " (a trace's spans stay on one partition), key = trace id of the first span",
            "trace id (hex) of the first span", "OTLP `ExportTraceServiceRequest` (protobuf)", Cleanup.DELETE, Duration.ofDays(1), true, true),
    SPANS_DLQ("spans-dlq", "caddy.spans.dlq", "spans the backend rejected as malformed",
            "as the source", "the span record (left out past the topic's 4 MiB, its size in a header) + headers", Cleanup.DELETE,
            Duration.ofDays(14), true, false),
    LATENCY_BY_GROUP("latency-by-group", "caddy.latency.by-group", "windowed aggregates per group",
            "Avro `LatencyKeyRecord`", "Avro `LatencyAggregateRecord`", Cleanup.COMPACT_AND_DELETE, Duration.ofDays(7), false, false),
    LATENCY_BY_ROUTE("latency-by-route", "caddy.latency.by-route", "windowed aggregates per group and route",
            "Avro `LatencyKeyRecord`", "Avro `LatencyAggregateRecord`", Cleanup.COMPACT_AND_DELETE, Duration.ofDays(7), false, false),
    // a page and a ticket of the same objective share a key: compaction would keep only the later one
    SLO_ALERTS("slo-alerts", "caddy.slo.alerts", "burn-rate alerts per group and objective: each change of state (firing, resolved) once",
            "Avro `SloKeyRecord` (group, slo)", "Avro `SloAlertRecord`", Cleanup.DELETE, Duration.ofDays(30), false, false),
    // like the spans, the buffer through a backend outage, a day from when the record was written
    METRICS("metrics", "caddy.metrics", "one OTLP ExportMetricsServiceRequest per closed window of a group or route",
            "group", "OTLP `ExportMetricsServiceRequest` (protobuf)", Cleanup.DELETE, Duration.ofDays(1), false, true);

    /** Lines up to caddy.log.max-line-bytes (2 MiB by default) and the records the application writes, with headers. */
    public static final int LARGE_RECORD_BYTES = 4 * 1024 * 1024;
    private static final String KEY_PREFIX = "caddy.topic.";

    /** How a topic's old records go. */
    public enum Cleanup {
        DELETE(TopicConfig.CLEANUP_POLICY_DELETE),
        /** A table: the latest record of each key stays. */
        COMPACT(TopicConfig.CLEANUP_POLICY_COMPACT),
        /** Windows: the latest value of each window stays, and old windows go. */
        COMPACT_AND_DELETE(TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE);

        private final String policy;

        Cleanup(String policy) {
            this.policy = policy;
        }

        public String policy() {
            return policy;
        }
    }

    private final String suffix;
    private final String defaultName;
    private final String description;
    private final String key;
    private final String value;
    private final Cleanup cleanup;
    private final Duration retention;
    private final boolean largeRecords;
    private final boolean logAppendTime;

    TopicSpec(String suffix, String defaultName, String description, String key, String value, Cleanup cleanup, Duration retention,
              boolean largeRecords, boolean logAppendTime) {
        this.suffix = suffix;
        this.defaultName = defaultName;
        this.description = description;
        this.key = key;
        this.value = value;
        this.cleanup = cleanup;
        this.retention = retention;
        this.largeRecords = largeRecords;
        this.logAppendTime = logAppendTime;
    }

    /** The setting that names the topic: caddy.topic.SUFFIX. */
    public String configKey() {
        return KEY_PREFIX + suffix;
    }

    public String suffix() {
        return suffix;
    }

    public String defaultName() {
        return defaultName;
    }

    public String description() {
        return description;
    }

    /** What the records' keys are, as the README's topic table says. */
    public String key() {
        return key;
    }

    /** What the records' values are, as the README's topic table says. */
    public String value() {
        return value;
    }

    public Cleanup cleanup() {
        return cleanup;
    }

    /** How long records are kept, or null for as long as compaction keeps them. */
    public Duration retention() {
        return retention;
    }

    /** Retention counts from when the broker appended a record, not from the time the record carries. */
    public boolean logAppendTime() {
        return logAppendTime;
    }

    /** Policies are few and every task reads them all: one partition. */
    public boolean singlePartition() {
        return this == POLICIES;
    }

    /** The topic configs {@code topics create} sets: cleanup, retention, record size, timestamp type. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanup.policy());
        if (retention != null) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retention.toMillis()));
        }
        if (logAppendTime) {
            configs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        }
        if (largeRecords) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(LARGE_RECORD_BYTES));
        }
        return configs;
    }
}
