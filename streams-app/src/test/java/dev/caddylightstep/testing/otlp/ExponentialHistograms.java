package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import java.util.List;

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
}
