package dev.caddylightstep.sli;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.caddylightstep.aggregate.SketchProtobuf;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The OTLP metrics of one closed route window, as one ExportMetricsServiceRequest: the latency as an exponential
 * histogram re-binned from the window's DDSketch ({@link ExponentialBuckets}), and counters of its requests, errors
 * (5xx), denials (401, 403) and policy misfires; every point DELTA over the window, with edge.group and http.route. The
 * route windows of a group's window split its requests (those past caddy.window.max-routes, or with no route a
 * template could name, under {@link WindowSettings#OTHER_ROUTE}), so each request is in exactly one point of each
 * metric: summed or merged by edge.group, the points give the group's window, with nothing counted twice. The
 * {@code {other}} points carry no http.route, as those requests' spans carry none. A window closes once, so each request
 * is counted once.
 */
public final class WindowMetrics {
    public static final String DURATION = "edge.request.duration";
    public static final String REQUESTS = "edge.requests";
    public static final String ERRORS = "edge.errors";
    public static final String DENIALS = "edge.denials";
    public static final String MISFIRES = "edge.misfires";
    public static final String GROUP = "edge.group";
    public static final String ROUTE = "http.route";
    /** The spans' instrumentation scope: metrics and spans come from the same application. */
    static final String SCOPE_NAME = "dev.caddylightstep";

    private final Resource resource;
    private final InstrumentationScope scope;

    /** @param resourceAttributes the spans' resource (service.name and OTEL_RESOURCE_ATTRIBUTES), so both meet in the backend */
    public WindowMetrics(Map<String, String> resourceAttributes) {
        Resource.Builder builder = Resource.newBuilder();
        resourceAttributes.forEach((key, value) -> builder.addAttributes(attribute(key, value)));
        this.resource = builder.build();
        String version = WindowMetrics.class.getPackage().getImplementationVersion();
        this.scope = InstrumentationScope.newBuilder().setName(SCOPE_NAME).setVersion(version == null ? "dev" : version).build();
    }

    /**
     * Whether a closed window has metrics of its own: a route's, with requests. The group's window has none: its routes'
     * points add up to it, and points of it too would count each request twice in any sum over edge.group.
     */
    public static boolean exported(LatencyAggregateRecord window) {
        return window.getCount() > 0 && window.getRoute() != null;
    }

    public ExportMetricsServiceRequest of(LatencyAggregateRecord window) {
        List<KeyValue> attributes = new ArrayList<>(2);
        attributes.add(attribute(GROUP, window.getGroup()));
        if (!WindowSettings.OTHER_ROUTE.equals(window.getRoute())) {
            attributes.add(attribute(ROUTE, window.getRoute()));
        }
        long start = TimeUnit.MILLISECONDS.toNanos(window.getWindowStartMs());
        long end = TimeUnit.MILLISECONDS.toNanos(window.getWindowEndMs());
        ScopeMetrics metrics = ScopeMetrics.newBuilder().setScope(scope)
                .addMetrics(duration(window, attributes, start, end))
                .addMetrics(counter(REQUESTS, "{request}", "requests answered in the window", window.getCount(), attributes, start, end))
                .addMetrics(counter(ERRORS, "{request}", "requests answered with a 5xx status", window.getErrors(), attributes, start, end))
                .addMetrics(counter(DENIALS, "{request}", "requests answered with 401 or 403", window.getDenied(), attributes, start, end))
                .addMetrics(counter(MISFIRES, "{request}", "requests whose answer contradicted the group's policy",
                        window.getMisfires(), attributes, start, end))
                .build();
        return ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource).addScopeMetrics(metrics))
                .build();
    }

    private static Metric duration(LatencyAggregateRecord window, List<KeyValue> attributes, long start, long end) {
        ExponentialBuckets buckets = ExponentialBuckets.of(sketch(window.getSketch()));
        var latency = window.getLatencyMs();
        ExponentialHistogramDataPoint.Builder point = ExponentialHistogramDataPoint.newBuilder()
                .addAllAttributes(attributes)
                .setStartTimeUnixNano(start)
                .setTimeUnixNano(end)
                .setCount(buckets.total())
                .setSum(latency.getMean() * window.getCount())
                .setScale(ExponentialBuckets.SCALE)
                .setZeroCount(buckets.zeroCount())
                .setMin(latency.getMin())
                .setMax(latency.getMax());
        ExponentialHistogramDataPoint.Buckets.Builder positive = point.getPositiveBuilder().setOffset(buckets.offset());
        for (long count : buckets.counts()) {
            positive.addBucketCounts(count);
        }
        return Metric.newBuilder().setName(DURATION).setUnit("ms").setDescription("time Caddy took to answer, from the window's sketch")
                .setExponentialHistogram(ExponentialHistogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(point))
                .build();
    }

    private static Metric counter(String name, String unit, String description, long value, List<KeyValue> attributes, long start, long end) {
        return Metric.newBuilder().setName(name).setUnit(unit).setDescription(description)
                .setSum(Sum.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .setIsMonotonic(true)
                        .addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(attributes)
                                .setStartTimeUnixNano(start).setTimeUnixNano(end).setAsInt(value)))
                .build();
    }

    /** The window's sketch as the aggregate topics carry it. */
    static DDSketch sketch(ByteBuffer bytes) {
        try {
            return SketchProtobuf.read(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("a window's sketch is DDSketch protobuf, as the window wrote it", e);
        }
    }

    private static KeyValue attribute(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }
}
