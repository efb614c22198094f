package dev.caddylightstep.forward;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.sli.WindowMetrics;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.ExponentialHistograms;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The metric forwarder on a real broker, exporting the topology's own metric records (a closed window of the captured
 * anonymous requests and of its routes) to a local OTLP receiver over HTTP and gRPC.
 */
@ExtendWith(SharedBroker.class)
class MetricForwarderTest {
    private static final String TOKEN = "ls-token-" + UUID.randomUUID();
    // 1795566960000 is a minute boundary; the whole capture falls in [1795566960000, 1795567020000)
    private static final long WINDOW = 1_795_566_960_000L;
    private static EmbeddedKafka kafka;
    private static List<byte[]> metricRecords;
    private static LatencyAggregateRecord groupWindow;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        kafka = shared;
        String health = access(request("GET", "/health", 200));
        String[] moveOn = new String[32];
        Arrays.fill(moveOn, CaddyCapture.withField(health, "ts", BigDecimal.valueOf(WINDOW + 90_000).movePointLeft(3)));
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log").stream().map(CaddyCapture::tree)
                    .filter(l -> l.path("user_id").asText().isEmpty()).map(CaddyCapture::write).toList());
            p.send(moveOn);
            metricRecords = p.metricRecords().stream().map(ExportMetricsServiceRequest::toByteArray).toList();
            groupWindow = p.latestByGroup().get("anonymous@" + WINDOW);
        }
        assertThat(metricRecords).hasSizeGreaterThan(2);
    }

    private record Topics(String metrics, String deadLetters, String group) {
        static Topics fresh() {
            String id = UUID.randomUUID().toString().substring(0, 8);
            Topics t = new Topics("metrics-" + id, "spans-dlq-" + id, "forwarder-" + id);
            kafka.createTopics(List.of(new NewTopic(t.metrics, 3, (short) 1), new NewTopic(t.deadLetters, 1, (short) 1)));
            return t;
        }
    }

    private static MetricForwarder forwarder(Topics topics, OtlpReceiver receiver) {
        Map<String, String> environment = new HashMap<>();
        environment.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint());
        environment.put("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", receiver.transport() == OtlpTransport.GRPC ? "grpc" : "http/protobuf");
        environment.put(Settings.LIGHTSTEP_TOKEN, TOKEN);
        Settings settings = Settings.load(null, environment, Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "caddy.forward.group-id", topics.group, "caddy.forward.max-backoff", "1s"));
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        ExportTarget target = ExportTarget.from(settings, forwarding).orElseThrow();
        MetricForwarder forwarder = new MetricForwarder(forwarding, settings.kafka(), target.metricExporter().orElseThrow(), topics.metrics,
                topics.deadLetters, new SimpleMeterRegistry());
        Thread thread = new Thread(() -> {
            try {
                forwarder.run();
            } finally {
                target.close();
            }
        }, "metric-forwarder-" + topics.group);
        thread.setDaemon(true);
        thread.start();
        return forwarder;
    }

    private static long committedSum(Topics topics) throws Exception {
        try (Admin admin = kafka.admin()) {
            Map<?, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(topics.group + ".metrics").partitionsToOffsetAndMetadata().get();
            return offsets.values().stream().filter(Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static List<Metric> received(List<ExportMetricsServiceRequest> requests) {
        List<Metric> metrics = new ArrayList<>();
        requests.forEach(r -> r.getResourceMetricsList().forEach(rm -> rm.getScopeMetricsList().forEach(sm -> metrics.addAll(sm.getMetricsList()))));
        return metrics;
    }

    /** The group's histogram, as a backend merges its routes' points. */
    private static ExponentialHistogramDataPoint groupHistogram(List<Metric> metrics) {
        return ExponentialHistograms.merged(metrics.stream().filter(m -> m.getName().equals(WindowMetrics.DURATION))
                .flatMap(m -> m.getExponentialHistogram().getDataPointsList().stream()).toList());
    }

    private static long histograms(List<ExportMetricsServiceRequest> requests) {
        return received(requests).stream().filter(m -> m.getName().equals(WindowMetrics.DURATION)).count();
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void theWindowsMetricsArriveWithTheTokenAndTheirQuantilesAgreeWithTheWindows(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start(); MetricForwarder forwarder = forwarder(topics, receiver)) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.metrics, metricRecords);
            List<ExportMetricsServiceRequest> requests = receiver.awaitMetrics(r -> histograms(r) >= metricRecords.size(), Duration.ofSeconds(30));
            assertThat(histograms(requests)).isEqualTo(metricRecords.size());
            ExponentialHistogramDataPoint point = groupHistogram(received(requests));
            var latency = groupWindow.getLatencyMs();
            assertThat(point.getCount()).isEqualTo(groupWindow.getCount());
            assertThat(ExponentialHistograms.quantile(point, 0.5)).isCloseTo(latency.getP50(), within(latency.getP50() * 0.01));
            assertThat(ExponentialHistograms.quantile(point, 0.9)).isCloseTo(latency.getP90(), within(latency.getP90() * 0.01));
            assertThat(ExponentialHistograms.quantile(point, 0.99)).isCloseTo(latency.getP99(), within(latency.getP99() * 0.01));
            assertThat(received(requests)).filteredOn(m -> m.getName().equals(WindowMetrics.REQUESTS))
                    .allSatisfy(m -> assertThat(m.getSum().getAggregationTemporality()).isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA));
            assertThat(receiver.metricRequests()).extracting(r -> r.headers().first("lightstep-access-token").orElse(null)).containsOnly(TOKEN);
            await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == metricRecords.size());
        }
    }

    @Test
    void whileTheBackendIsDownNothingIsCommittedAndEverythingArrivesOnceItIsBack() throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            receiver.refuseNextMetrics(4, 503);
            try (MetricForwarder forwarder = forwarder(topics, receiver)) {
                TopicRecords.produce(kafka.bootstrapServers(), topics.metrics, metricRecords);
                await().atMost(Duration.ofSeconds(20)).until(() -> receiver.metricRequests().stream().filter(r -> !r.accepted()).count() >= 2);
                assertThat(committedSum(topics)).isZero();
                receiver.awaitMetrics(r -> histograms(r) >= metricRecords.size(), Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == metricRecords.size());
                assertThat(receiver.metricRequests()).filteredOn(ReceivedRequest::accepted).isNotEmpty();
                assertThat(histograms(receiver.metrics())).isEqualTo(metricRecords.size());
            }
        }
    }

    @Test
    void aRecordThatIsNotTheApplicationsMetricsIsDeadLetteredAndTheRestExported() throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start(); MetricForwarder forwarder = forwarder(topics, receiver)) {
            List<byte[]> records = new ArrayList<>(metricRecords);
            records.add("not an OTLP request".getBytes(StandardCharsets.UTF_8));
            TopicRecords.produce(kafka.bootstrapServers(), topics.metrics, records);
            receiver.awaitMetrics(r -> histograms(r) >= metricRecords.size(), Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == records.size());
            assertThat(TopicRecords.endOffsets(kafka.bootstrapServers(), topics.deadLetters)).isEqualTo(1);
        }
    }
}
