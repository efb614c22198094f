package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import java.util.List;
import java.util.TreeMap;

/** Quantiles of an OTLP exponential histogram, read as a backend reads them. */
public final class ExponentialHistograms {

    private ExponentialHistograms() {
    }

    /**
     * The bucket holding the value of rank q (count - 1), at its geometric midpoint, within the point's min and max;
     * computed from the specification's bucket bounds: bucket k of scale s holds (base^k, base^(k+1)], base = 2^(2^-s).
     */
    public static double quantile(ExponentialHistogramDataPoint point, double q) {
        double base = Math.pow(2, Math.pow(2, -point.getScale()));
        double rank = q * (point.getCount() - 1);
        long seen = point.getZeroCount();
        if (seen > rank) {
            return point.getMin();
        }
        List<Long> counts = point.getPositive().getBucketCountsList();
        for (int i = 0; i < counts.size(); i++) {
            seen += counts.get(i);
            if (seen > rank) {
                double midpoint = Math.pow(base, point.getPositive().getOffset() + i + 0.5);
                return Math.max(point.getMin(), Math.min(point.getMax(), midpoint));
            }
        }
        return point.getMax();
    }

    /**
     * Points of one scale merged as a backend merges the streams of a metric it sums over an attribute: counts, sums and
     * buckets added (bucket by bucket index), min and max of all.
     */
    public static ExponentialHistogramDataPoint merged(List<ExponentialHistogramDataPoint> points) {
        int scale = points.get(0).getScale();
        TreeMap<Integer, Long> buckets = new TreeMap<>();
        ExponentialHistogramDataPoint.Builder merged = ExponentialHistogramDataPoint.newBuilder().setScale(scale)
                .setMin(Double.POSITIVE_INFINITY).setMax(Double.NEGATIVE_INFINITY);
        for (ExponentialHistogramDataPoint point : points) {
            if (point.getScale() != scale) {
                throw new IllegalArgumentException("points of scales " + scale + " and " + point.getScale());
            }
            merged.setCount(merged.getCount() + point.getCount()).setSum(merged.getSum() + point.getSum())
                    .setZeroCount(merged.getZeroCount() + point.getZeroCount())
                    .setMin(Math.min(merged.getMin(), point.getMin())).setMax(Math.max(merged.getMax(), point.getMax()));
            List<Long> counts = point.getPositive().getBucketCountsList();
            for (int i = 0; i < counts.size(); i++) {
                buckets.merge(point.getPositive().getOffset() + i, counts.get(i), Long::sum);
            }
        }
        if (!buckets.isEmpty()) {
            var positive = merged.getPositiveBuilder().setOffset(buckets.firstKey());
            for (int index = buckets.firstKey(); index <= buckets.lastKey(); index++) {
                positive.addBucketCounts(buckets.getOrDefault(index, 0L));
            }
        }
        return merged.build();
    }
}
