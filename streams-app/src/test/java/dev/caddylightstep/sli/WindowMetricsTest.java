package dev.caddylightstep.sli;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.ExponentialHistograms;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Stage sli on the whole topology: the captured lines of anonymous requests fill one window, the log moves on past its
 * end and grace, and the window and its routes' windows become OTLP metrics records, checked against the windows the
 * aggregate topics have.
 */
class WindowMetricsTest {
    // 1795566960000 is a minute boundary; the whole capture falls in [1795566960000, 1795567020000)
    private static final long WINDOW = 1_795_566_960_000L;
    private static final String HEALTH = access(request("GET", "/health", 200));
    /** The window (60 s) and the grace (30 s) past: enough lines then for the merge's log clock (16) through the partials. */
    private static final int LINES_THAT_MOVE_THE_CLOCK = 32;

    private static List<String> anonymousLines() {
        return CaddyCapture.lines("access.log").stream().map(CaddyCapture::tree)
                .filter(l -> l.path("user_id").asText().isEmpty()).map(CaddyCapture::write).toList();
    }

    private static String[] logMovesOnTo(long epochMillis) {
        String[] lines = new String[LINES_THAT_MOVE_THE_CLOCK];
        Arrays.fill(lines, CaddyCapture.withField(HEALTH, "ts", BigDecimal.valueOf(epochMillis).movePointLeft(3)));
        return lines;
    }

    private static PipelineHarness closedWindow(Map<String, String> settings) {
        PipelineHarness p = PipelineHarness.start(settings);
        p.sendAll(anonymousLines());
        p.send(logMovesOnTo(WINDOW + 90_000));
        return p;
    }

    private static Map<String, String> attributes(List<KeyValue> attributes) {
        return attributes.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
    }

    private static Metric metric(ExportMetricsServiceRequest request, String name) {
        return request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList().stream()
                .filter(m -> m.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no metric " + name));
    }

    private static long counter(ExportMetricsServiceRequest request, String name) {
        return metric(request, name).getSum().getDataPoints(0).getAsInt();
    }

    /** The metrics record of the window of this route (null: the group's) that starts at WINDOW. */
    private static ExportMetricsServiceRequest recordOf(List<ExportMetricsServiceRequest> records, String route) {
        List<ExportMetricsServiceRequest> matching = records.stream().filter(r -> {
            ExponentialHistogramDataPoint point = metric(r, WindowMetrics.DURATION).getExponentialHistogram().getDataPoints(0);
            Map<String, String> attributes = attributes(point.getAttributesList());
            return point.getStartTimeUnixNano() == WINDOW * 1_000_000 && attributes.get("edge.group").equals("anonymous")
                    && java.util.Objects.equals(attributes.get("http.route"), route);
        }).toList();
        assertThat(matching).as("metrics records of route " + route).hasSize(1);
        return matching.get(0);
    }

    @Test
    void theHistogramsQuantilesAgreeWithTheWindowsWithinTheSketchsAccuracy() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            LatencyAggregateRecord window = p.latestByGroup().get("anonymous@" + WINDOW);
            ExponentialHistogramDataPoint point = metric(recordOf(p.metricRecords(), null), WindowMetrics.DURATION)
                    .getExponentialHistogram().getDataPoints(0);
            var latency = window.getLatencyMs();
            assertThat(point.getCount()).isEqualTo(window.getCount()).isEqualTo(anonymousLines().size());
            assertThat(point.getMin()).isEqualTo(latency.getMin());
            assertThat(point.getMax()).isEqualTo(latency.getMax());
            assertThat(point.getSum()).isCloseTo(latency.getMean() * window.getCount(), within(1e-6));
            double accuracy = 0.01;
            assertThat(ExponentialHistograms.quantile(point, 0.5)).isCloseTo(latency.getP50(), within(latency.getP50() * accuracy));
            assertThat(ExponentialHistograms.quantile(point, 0.9)).isCloseTo(latency.getP90(), within(latency.getP90() * accuracy));
            assertThat(ExponentialHistograms.quantile(point, 0.99)).isCloseTo(latency.getP99(), within(latency.getP99() * accuracy));
        }
    }

    @Test
    void theCountersAreTheWindowsAndTheLinesCounts() {
        List<JsonNode> lines = anonymousLines().stream().map(CaddyCapture::tree).toList();
        long errors = lines.stream().filter(l -> l.get("status").asInt() >= 500).count();
        long denials = lines.stream().filter(l -> l.get("status").asInt() == 401 || l.get("status").asInt() == 403).count();
        try (PipelineHarness p = closedWindow(Map.of())) {
            LatencyAggregateRecord window = p.latestByGroup().get("anonymous@" + WINDOW);
            ExportMetricsServiceRequest record = recordOf(p.metricRecords(), null);
            assertThat(List.of(counter(record, WindowMetrics.REQUESTS), counter(record, WindowMetrics.ERRORS),
                    counter(record, WindowMetrics.DENIALS), counter(record, WindowMetrics.MISFIRES)))
                    .containsExactly(window.getCount(), window.getErrors(), window.getDenied(), window.getMisfires());
            assertThat(List.of(window.getCount(), window.getErrors(), window.getDenied())).containsExactly((long) lines.size(), errors, denials);
        }
    }

    @Test
    void eachRouteWindowIsOneRecordWithItsRoute() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            List<ExportMetricsServiceRequest> records = p.metricRecords();
            Map<String, LatencyAggregateRecord> routes = new HashMap<>();
            p.latestByRoute().values().stream().filter(w -> w.getWindowStartMs() == WINDOW).forEach(w -> routes.put(w.getRoute(), w));
            assertThat(routes).hasSizeGreaterThan(1);
            routes.forEach((route, window) -> {
                ExportMetricsServiceRequest record = recordOf(records, route);
                assertThat(counter(record, WindowMetrics.REQUESTS)).as(route).isEqualTo(window.getCount());
                assertThat(counter(record, WindowMetrics.ERRORS)).as(route).isEqualTo(window.getErrors());
            });
            // the group's and its routes', each once: the later window is still open
            assertThat(records).hasSize(routes.size() + 1);
        }
    }

    @Test
    void everyPointIsADeltaOverItsWindowUnderTheSpansResource() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            ExportMetricsServiceRequest record = recordOf(p.metricRecords(), null);
            assertThat(attributes(record.getResourceMetrics(0).getResource().getAttributesList())).containsEntry("service.name", "caddy");
            Metric duration = metric(record, WindowMetrics.DURATION);
            assertThat(duration.getUnit()).isEqualTo("ms");
            assertThat(duration.getExponentialHistogram().getAggregationTemporality()).isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
            assertThat(duration.getExponentialHistogram().getDataPoints(0).getTimeUnixNano()).isEqualTo((WINDOW + 60_000) * 1_000_000);
            for (String name : List.of(WindowMetrics.REQUESTS, WindowMetrics.ERRORS, WindowMetrics.DENIALS, WindowMetrics.MISFIRES)) {
                Metric counter = metric(record, name);
                NumberDataPoint point = counter.getSum().getDataPoints(0);
                assertThat(List.of(counter.getSum().getAggregationTemporality(), counter.getSum().getIsMonotonic(), point.getStartTimeUnixNano(),
                        point.getTimeUnixNano())).as(name).containsExactly(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, true,
                        WINDOW * 1_000_000, (WINDOW + 60_000) * 1_000_000);
            }
        }
    }

    @Test
    void aWindowStillOpenHasNoMetrics() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(anonymousLines());
            assertThat(p.latestByGroup()).containsKey("anonymous@" + WINDOW);
            assertThat(p.metricRecords()).isEmpty();
        }
    }

    @Test
    void withMetricsExportOffNoMetricRecordIsWritten() {
        try (PipelineHarness p = closedWindow(Map.of("caddy.metrics.export", "false"))) {
            assertThat(p.latestByGroup()).containsKey("anonymous@" + WINDOW);
            assertThat(p.metricRecords()).isEmpty();
        }
    }
}
