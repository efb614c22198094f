package dev.caddylightstep.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.Store;
import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The running aggregate of one window: counters, exact min/max/mean, the bins of a DDSketch of latency in
 * milliseconds (1% relative accuracy, DDSketch's logarithmic mapping) and the slowest requests. Windows merge:
 * a task's partial window of the last second merges into the group's window.
 *
 * <p>Every request is added to a partial window, and every partial window is written to a store once a commit,
 * so it keeps the sketch's bins as a plain array (its serde writes the non-empty ones), and builds the DDSketch
 * itself, for its quantiles and its protobuf form, only when the window is written to its topic. Mutable for the same reason: a copy of the bins per request
 * would cost more than the request.
 */
public final class LatencyWindow {
    public static final double RELATIVE_ACCURACY = 0.01;
    static final LogarithmicMapping MAPPING = new LogarithmicMapping(RELATIVE_ACCURACY);
    // 1% accuracy covers 1 µs to 1 hour in about 1,200 bins; past that the fastest requests share the lowest bin
    static final int MAX_BINS = 2048;
    private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99, 0.999};
    private static final int GROWTH = 64;

    long count;
    long errors;
    long denied;
    long overPermissive;
    long overRestrictive;
    long sloBreaches;
    long bytes;
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
    final List<Exemplar> exemplars = new ArrayList<>();
    /**
     * The exemplars as the serde writes them, kept until they change: a window is encoded once a commit or once a
     * flush, and its slowest requests change less often. Null until encoded, and whenever the exemplars change.
     */
    byte[] encodedExemplars;

    /** Adds one request; keeps at most {@code maxExemplars} of the slowest. */
    public LatencyWindow add(LatencyObservation o, int maxExemplars) {
        count++;
        if (o.status() >= 500) {
            errors++;
        }
        if (o.status() == 401 || o.status() == 403) {
            denied++;
        }
        if (o.misfire() == Misfire.OVER_PERMISSIVE) {
            overPermissive++;
        } else if (o.misfire() == Misfire.OVER_RESTRICTIVE) {
            overRestrictive++;
        }
        if (o.sloBreached()) {
            sloBreaches++;
        }
        bytes += o.size();
        double ms = o.durationMillis();
        sumMs += ms;
        minMs = Math.min(minMs, ms);
        maxMs = Math.max(maxMs, ms);
        if (ms < MAPPING.minIndexableValue()) {
            zeroCount++;
        } else {
            addToBin(MAPPING.index(ms), 1);
        }
        if (maxExemplars > 0 && (exemplars.size() < maxExemplars || ms > exemplars.get(exemplars.size() - 1).getDurationMs())) {
            keepIfSlowest(new Exemplar(o.traceId(), o.spanId(), ms), maxExemplars);
        }
        return this;
    }

    /** Adds another window's requests to this one: what the merge of two tasks' partial windows is. */
    public LatencyWindow merge(LatencyWindow other, int maxExemplars) {
        count += other.count;
        errors += other.errors;
        denied += other.denied;
        overPermissive += other.overPermissive;
        overRestrictive += other.overRestrictive;
        sloBreaches += other.sloBreaches;
        bytes += other.bytes;
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
        for (Exemplar exemplar : other.exemplars) {
            keepIfSlowest(exemplar, maxExemplars);
        }
        return this;
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

    private void keepIfSlowest(Exemplar exemplar, int max) {
        double ms = exemplar.getDurationMs();
        if (max == 0 || (exemplars.size() == max && ms <= exemplars.get(max - 1).getDurationMs())) {
            return;
        }
        int at = 0;
        while (at < exemplars.size() && exemplars.get(at).getDurationMs() >= ms) {
            at++;
        }
        exemplars.add(at, exemplar);
        encodedExemplars = null;
        if (exemplars.size() > max) {
            exemplars.remove(exemplars.size() - 1);
        }
    }

    /** The window's DDSketch, built from its bins. */
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

    /** The aggregate as the topics carry it; route null for a group's window. */
    public LatencyAggregateRecord toRecord(String group, String route, long windowStartMs, long windowEndMs) {
        DDSketch sketch = sketch();
        return LatencyAggregateRecord.newBuilder()
                .setGroup(group)
                .setRoute(route)
                .setWindowStartMs(windowStartMs)
                .setWindowEndMs(windowEndMs)
                .setCount(count)
                .setErrors(errors)
                .setDenied(denied)
                .setMisfires(overPermissive + overRestrictive)
                .setOverPermissive(overPermissive)
                .setOverRestrictive(overRestrictive)
                .setSloBreaches(sloBreaches)
                .setBytes(bytes)
                .setLatencyMs(summary(sketch))
                .setSketch(ByteBuffer.wrap(sketchProto(sketch).toByteArray()))
                .setExemplars(List.copyOf(exemplars))
                .build();
    }

    /**
     * The sketch in DDSketch's protobuf form. The library writes every bin between the lowest and the highest
     * as a packed double, about 5 KB for a window spanning milliseconds to seconds; bins given as an index map
     * take a fraction of that when most are empty, and every DDSketch reader accepts both.
     */
    private static com.datadoghq.sketch.ddsketch.proto.DDSketch sketchProto(DDSketch sketch) {
        var proto = DDSketchProtoBinding.toProto(sketch);
        Store positive = sketch.getPositiveValueStore();
        if (positive.isEmpty()) {
            return proto;
        }
        long filled = positive.getStream().count();
        long span = (long) positive.getMaxIndex() - positive.getMinIndex() + 1;
        if (filled * 2 >= span) {
            return proto;
        }
        var sparse = com.datadoghq.sketch.ddsketch.proto.Store.newBuilder();
        positive.forEach(sparse::putBinCounts);
        return proto.toBuilder().setPositiveValues(sparse).build();
    }

    private LatencySummary summary(DDSketch sketch) {
        if (count == 0) {
            return new LatencySummary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        }
        double[] q = sketch.getValuesAtQuantiles(QUANTILES);
        return new LatencySummary(minMs, sumMs / count, clamp(q[0]), clamp(q[1]), clamp(q[2]), clamp(q[3]), clamp(q[4]), maxMs);
    }

    /** The sketch's estimate is within 1% of the true quantile; the true one is never outside [min, max]. */
    private double clamp(double estimate) {
        return Math.max(minMs, Math.min(maxMs, estimate));
    }

    /** Restores the bins of a stored window, the first being bin {@code first}. */
    void restoreBins(int first, long[] bins) {
        if (bins.length == 0) {
            return;
        }
        offset = first;
        counts = bins;
        lowest = first;
        highest = first + bins.length - 1;
    }
}
