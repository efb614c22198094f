package dev.caddylightstep.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.store.Store;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;
import dev.caddylightstep.schema.LatencyWindowState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The running aggregate of one window: counters, exact min/max/mean, a DDSketch of latency in milliseconds
 * (1% relative accuracy) and the slowest requests. Mutable, because the window store hands the aggregator
 * a fresh copy per record and keeping it mutable saves a copy of the sketch per request.
 */
public final class LatencyWindow {
    public static final double RELATIVE_ACCURACY = 0.01;
    // 1% accuracy covers 1 µs to 1 hour in about 1,200 bins; past that the fastest requests share a bin
    private static final int MAX_BINS = 2048;
    private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99, 0.999};

    private long count;
    private long errors;
    private long denied;
    private long overPermissive;
    private long overRestrictive;
    private long sloBreaches;
    private long bytes;
    private double sumMs;
    private double minMs = Double.POSITIVE_INFINITY;
    private double maxMs = Double.NEGATIVE_INFINITY;
    private final DDSketch sketch;
    private final List<Exemplar> exemplars;

    public LatencyWindow() {
        this(newSketch(), new ArrayList<>());
    }

    private LatencyWindow(DDSketch sketch, List<Exemplar> exemplars) {
        this.sketch = sketch;
        this.exemplars = exemplars;
    }

    static DDSketch newSketch() {
        return DDSketches.logarithmicCollapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }

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
        sketch.accept(ms);
        keepIfSlowest(new Exemplar(o.traceId(), o.spanId(), ms), maxExemplars);
        return this;
    }

    private void keepIfSlowest(Exemplar exemplar, int max) {
        if (max == 0) {
            return;
        }
        if (exemplars.size() == max && exemplar.getDurationMs() <= exemplars.get(max - 1).getDurationMs()) {
            return;
        }
        int at = 0;
        while (at < exemplars.size() && exemplars.get(at).getDurationMs() >= exemplar.getDurationMs()) {
            at++;
        }
        exemplars.add(at, exemplar);
        if (exemplars.size() > max) {
            exemplars.remove(exemplars.size() - 1);
        }
    }

    /** The aggregate as the topics carry it; route null for a group's window. */
    public LatencyAggregateRecord toRecord(String group, String route, long windowStartMs, long windowEndMs) {
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
                .setLatencyMs(summary())
                .setSketch(ByteBuffer.wrap(sketchProto().toByteArray()))
                .setExemplars(List.copyOf(exemplars))
                .build();
    }

    /**
     * The sketch in DDSketch's protobuf form. The library writes every bin between the lowest and the highest
     * as a packed double, about 5 KB for a window spanning milliseconds to seconds; bins given as an index map
     * take a fraction of that when most are empty, and every DDSketch reader accepts both.
     */
    private com.datadoghq.sketch.ddsketch.proto.DDSketch sketchProto() {
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

    private LatencySummary summary() {
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

    LatencyWindowState toState() {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withInitialCapacity(256);
        try {
            sketch.encode(out, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a latency sketch", e);
        }
        return new LatencyWindowState(count, errors, denied, overPermissive, overRestrictive, sloBreaches, bytes, sumMs,
                minMs, maxMs, ByteBuffer.wrap(out.backingArray(), 0, out.numWrittenBytes()), List.copyOf(exemplars));
    }

    static LatencyWindow fromState(LatencyWindowState s) {
        ByteBuffer encoded = s.getSketch();
        DDSketch sketch;
        try {
            sketch = DDSketch.decode(ByteArrayInput.wrap(encoded.array(), encoded.arrayOffset() + encoded.position(), encoded.remaining()),
                    () -> new CollapsingLowestDenseStore(MAX_BINS));
        } catch (IOException e) {
            throw new IllegalArgumentException("the window's latency sketch cannot be decoded: " + e.getMessage(), e);
        }
        LatencyWindow w = new LatencyWindow(sketch, new ArrayList<>(s.getExemplars()));
        w.count = s.getCount();
        w.errors = s.getErrors();
        w.denied = s.getDenied();
        w.overPermissive = s.getOverPermissive();
        w.overRestrictive = s.getOverRestrictive();
        w.sloBreaches = s.getSloBreaches();
        w.bytes = s.getBytes();
        w.sumMs = s.getSumMs();
        w.minMs = s.getMinMs();
        w.maxMs = s.getMaxMs();
        return w;
    }
}
