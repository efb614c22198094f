package dev.caddylightstep.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.schema.SloKeyRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import dev.caddylightstep.topology.PipelineTopology;
import dev.caddylightstep.topology.StreamsProperties;
import dev.caddylightstep.topology.Topics;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The whole topology on Kafka Streams' TopologyTestDriver, fed with lines and read back through its output
 * topics: what a test sees is what a consumer of the topics would.
 */
public final class PipelineHarness implements AutoCloseable {
    /** Kafka Streams' commit interval here, unless a test sets its own: the partial windows go out with the commit after it. */
    private static final java.time.Duration COMMIT_INTERVAL = java.time.Duration.ofSeconds(1);
    private final TopologyTestDriver driver;
    private final Topics topics;
    private final Path stateDir;
    private final TestInputTopic<byte[], byte[]> access;
    private final TestOutputTopic<String, byte[]> spans;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final TestOutputTopic<LatencyKeyRecord, LatencyAggregateRecord> byGroup;
    private final TestOutputTopic<LatencyKeyRecord, LatencyAggregateRecord> byRoute;
    private final List<TestRecord<byte[], byte[]>> deadLettersRead = new ArrayList<>();
    private final List<TestRecord<String, byte[]>> recordsRead = new ArrayList<>();
    private final List<Span> spansRead = new ArrayList<>();
    private final List<ExportTraceServiceRequest> exportsRead = new ArrayList<>();
    private final List<LatencyAggregateRecord> byGroupRead = new ArrayList<>();
    private final TestOutputTopic<SloKeyRecord, SloAlertRecord> sloAlerts;
    private final List<SloAlertRecord> sloAlertsRead = new ArrayList<>();
    private final List<LatencyAggregateRecord> byRouteRead = new ArrayList<>();
    private final TestOutputTopic<String, byte[]> metrics;
    private final List<ExportMetricsServiceRequest> metricsRead = new ArrayList<>();

    /** Where the driver's wall clock starts. */
    public static final Instant WALL_CLOCK_START = Instant.parse("2026-12-06T00:00:00Z");

    private PipelineHarness(PipelineConfig config) {
        try {
            this.stateDir = Files.createTempDirectory("pipeline-harness");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Properties props = StreamsProperties.of(config);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL.toMillis());
        props.putAll(config.kafka());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // the instance's clock a day after the latest captured lines (stages.log, 2026-12-05), as when a recorded log is
        // replayed: none is from the future
        this.driver = new TopologyTestDriver(PipelineTopology.build(config), props, WALL_CLOCK_START);
        this.topics = Topics.of(config.topics());
        this.access = input(topics.access());
        this.spans = output(topics.spans());
        this.deadLetters = output(topics.accessDeadLetters());
        this.byGroup = output(topics.latencyByGroup());
        this.byRoute = output(topics.latencyByRoute());
        this.sloAlerts = output(topics.sloAlerts());
        this.metrics = output(topics.metrics());
    }

    /** The pipeline with default settings. */
    public static PipelineHarness start() {
        return start(Map.of());
    }

    /** The pipeline with these settings (keyed as in a properties file) over the defaults. */
    public static PipelineHarness start(Map<String, String> settings) {
        return new PipelineHarness(PipelineConfig.from(Settings.of(settings)));
    }

    /** The pipeline with these settings, built as an instance builds it for an access topic of that many partitions. */
    public static PipelineHarness start(Map<String, String> settings, int accessPartitions) {
        return start(settings, accessPartitions, 0);
    }

    /** The same, for access and spans topics of that many partitions. */
    public static PipelineHarness start(Map<String, String> settings, int accessPartitions, int spanPartitions) {
        return new PipelineHarness(PipelineConfig.from(Settings.of(settings)).withPartitions(accessPartitions, spanPartitions));
    }

    private <K, V> TestInputTopic<K, V> input(dev.caddylightstep.topics.Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    private <K, V> TestOutputTopic<K, V> output(dev.caddylightstep.topics.Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    public PipelineHarness send(String... lines) {
        for (String line : lines) {
            sendBytes(line.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    /** One line, and as much wall-clock time as makes the partial windows go to their groups' windows. */
    public PipelineHarness sendBytes(byte[] line) {
        access.pipeInput(null, line);
        driver.advanceWallClockTime(COMMIT_INTERVAL);
        return this;
    }

    /**
     * Lines processed with no wall-clock time passing: the task commits after each, as the driver does, but never comes
     * near a commit with time to spare, so what it sends at the last look before a commit waits.
     */
    public PipelineHarness sendWithoutTimePassing(String... lines) {
        for (String line : lines) {
            access.pipeInput(null, line.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    /** Lines within one commit interval: their partial windows go to their groups' windows together, after the last. */
    public PipelineHarness sendWithinOneCommit(String... lines) {
        for (String line : lines) {
            access.pipeInput(null, line.getBytes(StandardCharsets.UTF_8));
        }
        driver.advanceWallClockTime(COMMIT_INTERVAL);
        return this;
    }

    public PipelineHarness sendAll(List<String> lines) {
        lines.forEach(this::send);
        return this;
    }

    public PipelineHarness identity(String id, String group, String tenant, String... roles) {
        input(topics.identities()).pipeInput(id, new Identity(id, group, tenant, Arrays.asList(roles)), 0L);
        return this;
    }

    /** The user's entry removed from the identities table (a tombstone). */
    public PipelineHarness withoutIdentity(String id) {
        input(topics.identities()).pipeInput(id, null, 0L);
        return this;
    }

    /** A policy; rules written as in policies.yaml ("GET /api/**"). */
    public PipelineHarness policy(String group, Long latencySloMs, List<String> allow, List<String> deny) {
        return policy(Policy.of(group, allow.stream().map(AccessRule::parse).toList(), deny.stream().map(AccessRule::parse).toList(), latencySloMs));
    }

    public PipelineHarness policy(Policy policy) {
        input(topics.policies()).pipeInput(policy.group(), policy, 0L);
        return this;
    }

    /** The group's policy removed from the policies table (a tombstone). */
    public PipelineHarness withoutPolicy(String group) {
        input(topics.policies()).pipeInput(group, null, 0L);
        return this;
    }

    /** Every span of the spans topic, in order: a record holds the spans of many requests. */
    public List<Span> spans() {
        while (!spans.isEmpty()) {
            TestRecord<String, byte[]> record = spans.readRecord();
            recordsRead.add(record);
            try {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(record.value());
                exportsRead.add(request);
                request.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> spansRead.addAll(ss.getSpansList())));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("a record of the spans topic is not an ExportTraceServiceRequest", e);
            }
        }
        return List.copyOf(spansRead);
    }

    public List<ExportTraceServiceRequest> exportRequests() {
        spans();
        return List.copyOf(exportsRead);
    }

    /** The values of the spans topic as they were written, in order. */
    public List<byte[]> spanRecords() {
        return spanRecordsWithKeys().stream().map(TestRecord::value).toList();
    }

    /** The records of the spans topic as they were written, keys and all, in order. */
    public List<TestRecord<String, byte[]>> spanRecordsWithKeys() {
        spans();
        return List.copyOf(recordsRead);
    }

    /** The single span the test expects. */
    public Span onlySpan() {
        List<Span> all = spans();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one span, got " + all.size());
        }
        return all.get(0);
    }

    public List<TestRecord<byte[], byte[]>> deadLetters() {
        deadLettersRead.addAll(deadLetters.readRecordsToList());
        return List.copyOf(deadLettersRead);
    }

    /** Every update of the by-group topic, in order. */
    public List<LatencyAggregateRecord> byGroupUpdates() {
        byGroupRead.addAll(byGroup.readValuesToList());
        return List.copyOf(byGroupRead);
    }

    public List<LatencyAggregateRecord> byRouteUpdates() {
        byRouteRead.addAll(byRoute.readValuesToList());
        return List.copyOf(byRouteRead);
    }

    /** Every record of the alerts topic, in order. */
    public List<SloAlertRecord> sloAlerts() {
        sloAlertsRead.addAll(sloAlerts.readValuesToList());
        return List.copyOf(sloAlertsRead);
    }

    /** Every record of the metrics topic, in order. */
    public List<ExportMetricsServiceRequest> metricRecords() {
        for (byte[] record : metrics.readValuesToList()) {
            try {
                metricsRead.add(ExportMetricsServiceRequest.parseFrom(record));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("a record of the metrics topic is not an ExportMetricsServiceRequest", e);
            }
        }
        return List.copyOf(metricsRead);
    }

    /** The latest aggregate of each group and window, as a consumer of the compacted view would see it. */
    public Map<String, LatencyAggregateRecord> latestByGroup() {
        Map<String, LatencyAggregateRecord> latest = new LinkedHashMap<>();
        byGroupUpdates().forEach(r -> latest.put(r.getGroup() + "@" + r.getWindowStartMs(), r));
        return latest;
    }

    public Map<String, LatencyAggregateRecord> latestByRoute() {
        Map<String, LatencyAggregateRecord> latest = new LinkedHashMap<>();
        byRouteUpdates().forEach(r -> latest.put(r.getGroup() + " " + r.getRoute() + "@" + r.getWindowStartMs(), r));
        return latest;
    }

    /** A counter of this project's own Kafka Streams metrics, summed over tasks, e.g. "lines-skipped-total". */
    public double metric(String name) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> entry : driver.metrics().entrySet()) {
            if (entry.getKey().group().equals("stream-caddy-lightstep-metrics") && entry.getKey().name().equals(name)) {
                sum += ((Number) entry.getValue().metricValue()).doubleValue();
            }
        }
        return sum;
    }

    public TopologyTestDriver driver() {
        return driver;
    }

    /** The attributes of a span by key, values as Java strings, numbers, booleans or lists. */
    public static Map<String, Object> attributes(Span span) {
        Map<String, Object> attributes = new HashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            var v = kv.getValue();
            Object value = switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> v.getIntValue();
                case BOOL_VALUE -> v.getBoolValue();
                case DOUBLE_VALUE -> v.getDoubleValue();
                case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(a -> a.getStringValue()).toList();
                default -> v.toString();
            };
            attributes.put(kv.getKey(), value);
        }
        return attributes;
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temporary directory left behind is not a test failure
        }
    }
}
