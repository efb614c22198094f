package dev.caddylightstep.sli;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.aggregate.WindowSettings;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Stage sli on the whole topology: the captured lines of anonymous requests fill one window, the log moves on past its
 * end and grace, and its routes' windows become OTLP metrics records, checked against the windows the aggregate topics
 * have: each request in one point, the routes' points adding up to the group's window.
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

    private static ExponentialHistogramDataPoint histogram(ExportMetricsServiceRequest record) {
        return metric(record, WindowMetrics.DURATION).getExponentialHistogram().getDataPoints(0);
    }

    /** The metrics records of the group's routes' windows that start at WINDOW, by the http.route their points carry (null: none). */
    private static Map<String, ExportMetricsServiceRequest> byRoute(List<ExportMetricsServiceRequest> records) {
        Map<String, ExportMetricsServiceRequest> byRoute = new HashMap<>();
        for (ExportMetricsServiceRequest record : records) {
            ExponentialHistogramDataPoint point = histogram(record);
            Map<String, String> attributes = attributes(point.getAttributesList());
            if (point.getStartTimeUnixNano() == WINDOW * 1_000_000 && attributes.get("edge.group").equals("anonymous")) {
                assertThat(byRoute.put(attributes.get("http.route"), record)).as("records of route " + attributes.get("http.route")).isNull();
            }
        }
        return byRoute;
    }

    private static void assertQuantilesAgree(ExponentialHistogramDataPoint point, LatencyAggregateRecord window) {
        var latency = window.getLatencyMs();
        assertThat(point.getCount()).isEqualTo(window.getCount());
        assertThat(point.getMin()).isEqualTo(latency.getMin());
        assertThat(point.getMax()).isEqualTo(latency.getMax());
        assertThat(point.getSum()).isCloseTo(latency.getMean() * window.getCount(), within(1e-6));
        double accuracy = 0.01;
        assertThat(ExponentialHistograms.quantile(point, 0.5)).isCloseTo(latency.getP50(), within(latency.getP50() * accuracy));
        assertThat(ExponentialHistograms.quantile(point, 0.9)).isCloseTo(latency.getP90(), within(latency.getP90() * accuracy));
        assertThat(ExponentialHistograms.quantile(point, 0.99)).isCloseTo(latency.getP99(), within(latency.getP99() * accuracy));
    }

    @Test
    void eachRoutesHistogramAgreesWithItsWindowAndMergedTheyAgreeWithTheGroupsWithinTheSketchsAccuracy() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            Map<String, ExportMetricsServiceRequest> records = byRoute(p.metricRecords());
            p.latestByRoute().values().stream().filter(w -> w.getWindowStartMs() == WINDOW)
                    .forEach(window -> assertQuantilesAgree(histogram(records.get(window.getRoute())), window));
            LatencyAggregateRecord group = p.latestByGroup().get("anonymous@" + WINDOW);
            assertThat(group.getCount()).isEqualTo(anonymousLines().size());
            assertQuantilesAgree(ExponentialHistograms.merged(records.values().stream().map(WindowMetricsTest::histogram).toList()), group);
        }
    }

    @Test
    void theRoutesCountersAddUpToTheGroupsWindowAndTheLinesCounts() {
        List<JsonNode> lines = anonymousLines().stream().map(CaddyCapture::tree).toList();
        long errors = lines.stream().filter(l -> l.get("status").asInt() >= 500).count();
        long denials = lines.stream().filter(l -> l.get("status").asInt() == 401 || l.get("status").asInt() == 403).count();
        try (PipelineHarness p = closedWindow(Map.of())) {
            LatencyAggregateRecord window = p.latestByGroup().get("anonymous@" + WINDOW);
            Collection<ExportMetricsServiceRequest> records = byRoute(p.metricRecords()).values();
            assertThat(List.of(WindowMetrics.REQUESTS, WindowMetrics.ERRORS, WindowMetrics.DENIALS, WindowMetrics.MISFIRES).stream()
                    .map(name -> records.stream().mapToLong(r -> counter(r, name)).sum()).toList())
                    .containsExactly(window.getCount(), window.getErrors(), window.getDenied(), window.getMisfires());
            assertThat(List.of(window.getCount(), window.getErrors(), window.getDenied())).containsExactly((long) lines.size(), errors, denials);
        }
    }

    @Test
    void eachRouteWindowIsOneRecordWithItsRouteAndTheGroupsWindowNone() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            List<ExportMetricsServiceRequest> records = p.metricRecords();
            Map<String, ExportMetricsServiceRequest> byRoute = byRoute(records);
            Map<String, LatencyAggregateRecord> routes = new HashMap<>();
            p.latestByRoute().values().stream().filter(w -> w.getWindowStartMs() == WINDOW).forEach(w -> routes.put(w.getRoute(), w));
            assertThat(routes).hasSizeGreaterThan(1).doesNotContainKey(WindowSettings.OTHER_ROUTE);
            routes.forEach((route, window) -> {
                ExportMetricsServiceRequest record = byRoute.get(route);
                assertThat(counter(record, WindowMetrics.REQUESTS)).as(route).isEqualTo(window.getCount());
                assertThat(counter(record, WindowMetrics.ERRORS)).as(route).isEqualTo(window.getErrors());
            });
            // the routes', each once: the later window is still open
            assertThat(records).hasSize(routes.size());
        }
    }

    @Test
    void theRequestsPastTheRouteCapAreOnePointWithoutARoute() {
        try (PipelineHarness p = closedWindow(Map.of("caddy.window.max-routes", "1"))) {
            Map<String, ExportMetricsServiceRequest> byRoute = byRoute(p.metricRecords());
            LatencyAggregateRecord group = p.latestByGroup().get("anonymous@" + WINDOW);
            assertThat(byRoute).hasSize(2).containsKey(null);
            assertThat(byRoute.values().stream().mapToLong(r -> counter(r, WindowMetrics.REQUESTS)).sum()).isEqualTo(group.getCount());
            LatencyAggregateRecord other = p.latestByRoute().get("anonymous " + WindowSettings.OTHER_ROUTE + "@" + WINDOW);
            assertThat(other).as(p.latestByRoute().keySet().toString()).isNotNull();
            assertThat(counter(byRoute.get(null), WindowMetrics.REQUESTS)).isEqualTo(other.getCount());
        }
    }

    @Test
    void everyPointIsADeltaOverItsWindowUnderTheSpansResource() {
        try (PipelineHarness p = closedWindow(Map.of())) {
            ExportMetricsServiceRequest record = p.metricRecords().get(0);
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
