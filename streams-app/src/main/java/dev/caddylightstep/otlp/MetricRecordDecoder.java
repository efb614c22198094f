package dev.caddylightstep.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfoBuilder;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramBuckets;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableLongPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableMetricData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableSumData;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a record of the metrics topic back into the SDK's MetricData, which OpenTelemetry's OTLP metric exporters
 * take: only the shapes the application writes (delta exponential histograms, delta monotonic integer sums, string
 * attributes). The SDK has no public constructor of MetricData; its own immutable values (an internal package of the
 * pinned SDK version) are what its exporters are tested with.
 */
public final class MetricRecordDecoder {

    /**
     * @throws InvalidProtocolBufferException when the record is not an ExportMetricsServiceRequest, or holds a metric of
     *                                        another shape than the application writes (the message says which)
     */
    public List<MetricData> decode(byte[] record) throws InvalidProtocolBufferException {
        ExportMetricsServiceRequest request = ExportMetricsServiceRequest.parseFrom(record);
        List<MetricData> metrics = new ArrayList<>();
        for (ResourceMetrics resourceMetrics : request.getResourceMetricsList()) {
            Resource resource = Resource.create(attributes(resourceMetrics.getResource().getAttributesList()));
            for (ScopeMetrics scopeMetrics : resourceMetrics.getScopeMetricsList()) {
                InstrumentationScopeInfoBuilder scope = InstrumentationScopeInfo.builder(scopeMetrics.getScope().getName());
                if (!scopeMetrics.getScope().getVersion().isEmpty()) {
                    scope.setVersion(scopeMetrics.getScope().getVersion());
                }
                for (Metric metric : scopeMetrics.getMetricsList()) {
                    metrics.add(metric(resource, scope.build(), metric));
                }
            }
        }
        return metrics;
    }

    private static MetricData metric(Resource resource, InstrumentationScopeInfo scope, Metric metric) throws InvalidProtocolBufferException {
        switch (metric.getDataCase()) {
            case EXPONENTIAL_HISTOGRAM -> {
                requireDelta(metric, metric.getExponentialHistogram().getAggregationTemporality());
                List<ExponentialHistogramPointData> points = new ArrayList<>();
                for (ExponentialHistogramDataPoint point : metric.getExponentialHistogram().getDataPointsList()) {
                    points.add(histogramPoint(metric, point));
                }
                return ImmutableMetricData.createExponentialHistogram(resource, scope, metric.getName(), metric.getDescription(), metric.getUnit(),
                        ImmutableExponentialHistogramData.create(io.opentelemetry.sdk.metrics.data.AggregationTemporality.DELTA, points));
            }
            case SUM -> {
                requireDelta(metric, metric.getSum().getAggregationTemporality());
                if (!metric.getSum().getIsMonotonic()) {
                    throw unsupported(metric, "a sum that is not monotonic");
                }
                List<LongPointData> points = new ArrayList<>();
                for (NumberDataPoint point : metric.getSum().getDataPointsList()) {
                    if (point.getValueCase() != NumberDataPoint.ValueCase.AS_INT) {
                        throw unsupported(metric, "a sum of " + point.getValueCase());
                    }
                    points.add(ImmutableLongPointData.create(point.getStartTimeUnixNano(), point.getTimeUnixNano(),
                            attributes(metric, point.getAttributesList()), point.getAsInt()));
                }
                return ImmutableMetricData.createLongSum(resource, scope, metric.getName(), metric.getDescription(), metric.getUnit(),
                        ImmutableSumData.create(true, io.opentelemetry.sdk.metrics.data.AggregationTemporality.DELTA, points));
            }
            default -> throw unsupported(metric, "a " + metric.getDataCase());
        }
    }

    private static ExponentialHistogramPointData histogramPoint(Metric metric, ExponentialHistogramDataPoint point) throws InvalidProtocolBufferException {
        if (point.getNegative().getBucketCountsCount() > 0) {
            throw unsupported(metric, "a histogram of negative values");
        }
        return ImmutableExponentialHistogramPointData.create(point.getScale(), point.getSum(), point.getZeroCount(),
                point.hasMin(), point.getMin(), point.hasMax(), point.getMax(),
                ImmutableExponentialHistogramBuckets.create(point.getScale(), point.getPositive().getOffset(), point.getPositive().getBucketCountsList()),
                ImmutableExponentialHistogramBuckets.create(point.getScale(), 0, List.of()),
                point.getStartTimeUnixNano(), point.getTimeUnixNano(), attributes(metric, point.getAttributesList()), List.of());
    }

    private static void requireDelta(Metric metric, AggregationTemporality temporality) throws InvalidProtocolBufferException {
        if (temporality != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
            throw unsupported(metric, "temporality " + temporality);
        }
    }

    private static Attributes attributes(Metric metric, List<KeyValue> keyValues) throws InvalidProtocolBufferException {
        for (KeyValue keyValue : keyValues) {
            if (keyValue.getValue().getValueCase() != AnyValue.ValueCase.STRING_VALUE) {
                throw unsupported(metric, "attribute " + keyValue.getKey() + " of " + keyValue.getValue().getValueCase());
            }
        }
        return attributes(keyValues);
    }

    /** String attributes: those of a resource the spans share, and edge.group and http.route. */
    private static Attributes attributes(List<KeyValue> keyValues) {
        AttributesBuilder builder = Attributes.builder();
        for (KeyValue keyValue : keyValues) {
            builder.put(keyValue.getKey(), keyValue.getValue().getStringValue());
        }
        return builder.build();
    }

    private static InvalidProtocolBufferException unsupported(Metric metric, String shape) {
        return new InvalidProtocolBufferException("metric " + metric.getName() + " is " + shape + ", which the application never writes");
    }
}
