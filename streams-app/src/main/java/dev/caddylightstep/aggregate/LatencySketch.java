package dev.caddylightstep.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.Store;

/**
 * Latencies in milliseconds as a window keeps them, for its requests' total time and for each of their stages: exact
 * count, sum, min and max, and the bins of a DDSketch (1% relative accuracy, DDSketch's logarithmic mapping). Sketches
 * merge: a task's partial window of the last second merges into the group's window.
 *
 * <p>Every request is added to a partial window, and every partial window is written to a store once a commit, so it
 * keeps the sketch's bins as a plain array (the window's serde writes the non-empty ones), and builds the DDSketch
 * itself, for its quantiles and its protobuf form, only when the window is written to its topic. Mutable for the same
 * reason: a copy of the bins per request would cost more than the request.
 */
final class LatencySketch {
    static final double RELATIVE_ACCURACY = 0.01;
    static final LogarithmicMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);
    // 1% accuracy covers 1 µs to 1 hour in about 1,200 bins; past that the fastest requests share the lowest bin
    static final int MAX_BINS = 2048;
    private static final int GROWTH = 64;

    long count;
    double sumMs;
    double minMs = Double.POSITIVE_INFINITY;
    double maxMs = Double.NEGATIVE_INFINITY;
    /** Durations too small for the mapping's first bin (a zero duration among them), as DDSketch counts them. */
    long zeroCount;
    /** counts[i] is the count of bin {@code offset + i}; bins outside [lowest, highest] are 0. */
    int offset;
    long[] counts = new long[0];
    int lowest = Integer.MAX_VALUE;
    int highest = Integer.MIN_VALUE;

    void add(double ms) {
        count++;
        sumMs += ms;
        minMs = Math.min(minMs, ms);
        maxMs = Math.max(maxMs, ms);
        if (ms < MAPPING.minIndexableValue()) {
            zeroCount++;
        } else {
            addToBin(MAPPING.index(ms), 1);
        }
    }

    /** Adds another sketch's latencies to this one's. */
    void merge(LatencySketch other) {
        count += other.count;
        sumMs += other.sumMs;
        minMs = Math.min(minMs, other.minMs);
        maxMs = Math.max(maxMs, other.maxMs);
        zeroCount += other.zeroCount;
        for (int index = other.lowest; index <= other.highest; index++) {
            long binCount = other.counts[index - other.offset];
            if (binCount > 0) {
                addToBin(index, binCount);
            }
        }
    }

    private void addToBin(int index, long binCount) {
        if (index < lowest || index > highest) {
            widen(Math.min(index, lowest), Math.max(index, highest));
        }
        int bin = Math.max(index, lowest);
        counts[bin - offset] += binCount;
    }

    /** Makes room for bins [from, to]; past MAX_BINS the lowest bins fold into the lowest kept, as DDSketch's collapsing store does. */
    private void widen(int from, int to) {
        int low = Math.max(from, to - MAX_BINS + 1);
        if (low < offset || to >= offset + counts.length) {
            int newOffset = Math.max(low - GROWTH, to - MAX_BINS + 1);
            long[] grown = new long[Math.min(MAX_BINS, to - newOffset + 1 + GROWTH)];
            if (lowest <= highest) {
                for (int index = lowest; index <= highest; index++) {
                    grown[Math.max(index, low) - newOffset] += counts[index - offset];
                }
            }
            counts = grown;
            offset = newOffset;
        } else if (lowest <= highest && low > lowest) {
            long folded = 0;
            for (int index = lowest; index < low; index++) {
                folded += counts[index - offset];
                counts[index - offset] = 0;
            }
            counts[low - offset] += folded;
        }
        lowest = low;
        highest = to;
    }

    /** Restores the bins of a stored sketch, the first being bin {@code first}. */
    void restoreBins(int first, long[] bins) {
        if (bins.length == 0) {
            return;
        }
        offset = first;
        counts = bins;
        lowest = first;
        highest = first + bins.length - 1;
    }

    /** The DDSketch of these latencies, built from the bins. */
    DDSketch sketch() {
        DDSketch sketch = new DDSketch(MAPPING, () -> new CollapsingLowestDenseStore(MAX_BINS));
        Store store = sketch.getPositiveValueStore();
        for (int index = lowest; index <= highest; index++) {
            long binCount = counts[index - offset];
            if (binCount > 0) {
                store.add(index, binCount);
            }
        }
        if (zeroCount > 0) {
            sketch.accept(0.0, zeroCount);
        }
        return sketch;
    }

    double meanMs() {
        return count == 0 ? 0.0 : sumMs / count;
    }

    /**
     * The quantiles of {@code sketch} (this one's, built once for these and its protobuf form), all 0 when there are no
     * latencies. The sketch's estimate is within 1% of the true quantile; the true one is never outside [min, max].
     */
    double[] quantiles(DDSketch sketch, double[] quantiles) {
        if (count == 0) {
            return new double[quantiles.length];
        }
        double[] estimates = sketch.getValuesAtQuantiles(quantiles);
        for (int i = 0; i < estimates.length; i++) {
            estimates[i] = Math.max(minMs, Math.min(maxMs, estimates[i]));
        }
        return estimates;
    }
}
