package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.Topic;
import dev.caddylightstep.topics.CreatedTopics;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topics.TopicSpec;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentityJoin;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencyKeyRecord;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import dev.caddylightstep.testing.otlp.SpanRecords;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline against a real Apache Kafka broker with exactly_once_v2: a few thousand real Caddy lines in,
 * exactly the expected requests, dead letters and skipped lines out. Run on an in-process broker always and
 * on Testcontainers' Kafka where a Docker engine exists.
 */
abstract class PipelineOnBrokerContract {
    /** Partitions of every topic here, the spans topic's among them. */
    private static final int PARTITIONS = 3;

    abstract String bootstrapServers();

    @TempDir
    Path stateDir;

    /** What each input line should become, decided without the project's parser. */
    private record Expected(int requests, int deadLetters, int skipped) {
    }

    private static List<String> input() {
        List<String> lines = new ArrayList<>();
        List<String> real = new ArrayList<>(CaddyCapture.lines("access.log"));
        real.addAll(CaddyCapture.lines("bulk.log"));
        lines.addAll(real);
        // the same traffic an hour later, as a second replay of the log would carry it
        for (String line : real) {
            BigDecimal ts = CaddyCapture.tree(line).get("ts").decimalValue();
            lines.add(CaddyCapture.withField(line, "ts", ts.add(BigDecimal.valueOf(3600))));
        }
        lines.addAll(CaddyCapture.lines("caddy-stderr.log"));
        lines.addAll(CaddyCapture.lines("netlog.ndjson"));
        lines.addAll(CaddyCapture.lines("filterbug.log"));
        // lines a broken shipper cuts short
        for (int i = 0; i < 40; i++) {
            String line = real.get(i * 7);
            lines.add(line.substring(0, 20 + i * 5));
        }
        return lines;
    }

    private static Expected classify(List<String> lines) {
        int requests = 0;
        int dead = 0;
        int skipped = 0;
        for (String line : lines) {
            JsonNode node;
            try {
                node = CaddyCapture.tree(line);
            } catch (RuntimeException e) {
                dead++;
                continue;
            }
            if (node.path("logger").asText().startsWith("http.log.access")) {
                requests++;
            } else {
                skipped++;
            }
        }
        return new Expected(requests, dead, skipped);
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void realLinesReconcileExactlyUnderExactlyOnce(IdentityJoin join) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = new HashMap<>();
        for (TopicSpec topic : TopicSpec.values()) {
            settings.put(topic.configKey(), topic.defaultName() + "." + suffix);
        }
        settings.put("bootstrap.servers", bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "pipeline-it-" + suffix);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        settings.put("caddy.identity.join", join.name().toLowerCase(java.util.Locale.ROOT));
        // the input spans two hours of log time spread over three partitions: a grace that covers it keeps
        // every line in its window, so that the aggregates reconcile exactly too
        settings.put("caddy.window.grace", "3h");
        settings.put("caddy.window.retention", "4h");
        PipelineConfig config = PipelineConfig.from(Settings.of(settings));
        Topics topics = Topics.of(config.topics());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            CreatedTopics.create(admin, TopicLayout.topics(config.topics(), PARTITIONS, (short) 1), made -> { });
        }
        TableLoader.load(config.kafka(), topics.identities(), List.of(
                new Identity("alice", "engineering", "acme", List.of("admin")),
                new Identity("bob", "sales", "acme", List.of()),
                new Identity("carol", "support", "globex", List.of())), Identity::id);
        TableLoader.load(config.kafka(), topics.policies(), List.of(
                Policy.of("engineering", List.of(AccessRule.parse("* /api/**"), AccessRule.parse("GET /admin/**")), List.of(), 1000L)),
                Policy::group);

        List<String> lines = input();
        Expected expected = classify(lines);
        assertThat(lines.size()).isGreaterThan(3000);
        TopicRecords.produce(bootstrapServers(), topics.access().name(),
                lines.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList());

        try (PipelineStreams pipeline = new PipelineStreams(config).start()) {
            List<ConsumerRecord<byte[], byte[]>> spans = SpanRecords.readRequests(bootstrapServers(), topics.spans().name(),
                    expected.requests(), Duration.ofSeconds(120));
            List<ConsumerRecord<byte[], byte[]>> dead = TopicRecords.readAtLeast(bootstrapServers(), topics.accessDeadLetters().name(),
                    expected.deadLetters(), Duration.ofSeconds(30));

            assertThat(SpanRecords.count(spans)).isEqualTo(expected.requests());
            assertThat(spans).hasSizeLessThan(expected.requests());
            // what an OpenTelemetry Collector's Kafka receiver with encoding otlp_proto does with each record: one request
            // of many spans, keyed by its first trace id, each trace on the partition the producer's partitioner gives it
            assertThat(spans).allSatisfy(record -> {
                List<ReceivedSpan> inRecord = SpanRecords.spans(List.of(record));
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(inRecord.get(0).traceIdHex());
                assertThat(inRecord).allSatisfy(span -> assertThat(BuiltInPartitioner.partitionForKey(
                        span.traceIdHex().getBytes(StandardCharsets.UTF_8), PARTITIONS)).isEqualTo(record.partition()));
            });
            assertThat(dead).hasSize(expected.deadLetters());
            assertThat(dead).allSatisfy(r -> assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.STAGE)).isEqualTo("parse"));
            assertThat(skipped(pipeline)).isEqualTo(expected.skipped());
            assertThat(expected.requests() + expected.deadLetters() + expected.skipped()).isEqualTo(lines.size());

            List<ConsumerRecord<byte[], byte[]>> groupWindows = TopicRecords.readUntil(bootstrapServers(), topics.latencyByGroup().name(),
                    read -> sum(latestCounts(read, topics.latencyByGroup())) == expected.requests(), Duration.ofSeconds(60));
            Map<String, Long> latest = latestCounts(groupWindows, topics.latencyByGroup());
            assertThat(sum(latest))
                    .as(() -> "requests in the latest group windows " + latest + "; in the latest route windows, by group: "
                            + latestCounts(TopicRecords.readUntil(bootstrapServers(), topics.latencyByRoute().name(), read -> false,
                                    Duration.ofSeconds(5)), topics.latencyByRoute()))
                    .isEqualTo(expected.requests());
        }
    }

    /**
     * The latest count of every window read from an aggregate topic, by group and window start: a group's window, or its
     * routes' windows summed (where a short group sum came from: whether the requests reached the merge's other half).
     */
    private static Map<String, Long> latestCounts(List<ConsumerRecord<byte[], byte[]>> read, Topic<LatencyKeyRecord, LatencyAggregateRecord> topic) {
        Map<String, LatencyAggregateRecord> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : read) {
            LatencyAggregateRecord value = topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
            latest.put(value.getGroup() + " " + value.getRoute() + "@" + value.getWindowStartMs(), value);
        }
        Map<String, Long> byGroup = new TreeMap<>();
        latest.values().forEach(window -> byGroup.merge(window.getGroup() + "@" + window.getWindowStartMs(), window.getCount(), Long::sum));
        return byGroup;
    }

    private static long sum(Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    private static double skipped(PipelineStreams pipeline) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> m : pipeline.streams().metrics().entrySet()) {
            if (m.getKey().group().equals("stream-caddy-lightstep-metrics") && m.getKey().name().equals("lines-skipped-total")) {
                sum += ((Number) m.getValue().metricValue()).doubleValue();
            }
        }
        return sum;
    }
}
