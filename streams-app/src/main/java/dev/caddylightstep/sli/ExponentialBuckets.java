package dev.caddylightstep.sli;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import java.util.Arrays;

/**
 * A DDSketch's bins re-binned into OpenTelemetry's exponential buckets at {@link #SCALE}: bucket {@code k} holds the
 * values in (base^k, base^(k+1)], base = 2^(2^-SCALE). At scale 6 the base is 1.0109, finer than the sketch's
 * gamma of 1.0202 (1% relative accuracy), so each bin goes whole into the bucket that holds the value DDSketch answers
 * for it: a quantile read at a bucket's midpoint is within half a bucket (0.55%) of the sketch's own.
 *
 * @param offset the index of the first bucket
 * @param counts the count of each bucket from the first, zeros between
 * @param zeroCount the values too small for the sketch's first bin
 */
public record ExponentialBuckets(int offset, long[] counts, long zeroCount) {
    public static final int SCALE = 6;
    private static final double SCALE_FACTOR = Math.scalb(1 / Math.log(2), SCALE);

    public static ExponentialBuckets of(DDSketch sketch) {
        var store = sketch.getPositiveValueStore();
        // latencies are never negative: what the positive bins do not hold is the zero bucket's
        long zeroCount = Math.round(sketch.getCount() - store.getTotalCount());
        if (store.isEmpty()) {
            return new ExponentialBuckets(0, new long[0], zeroCount);
        }
        IndexMapping mapping = sketch.getIndexMapping();
        int first = bucketOf(mapping.value(store.getMinIndex()));
        int last = bucketOf(mapping.value(store.getMaxIndex()));
        long[] counts = new long[last - first + 1];
        store.forEach((index, count) -> counts[bucketOf(mapping.value(index)) - first] += Math.round(count));
        return new ExponentialBuckets(first, counts, zeroCount);
    }

    /** The bucket of a positive value: ceil(log_base(value)) - 1, as the specification maps values at this scale. */
    public static int bucketOf(double value) {
        return (int) Math.ceil(Math.log(value) * SCALE_FACTOR) - 1;
    }

    public long total() {
        return zeroCount + Arrays.stream(counts).sum();
    }
}
