package dev.caddylightstep.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;
import dev.caddylightstep.schema.StageSummary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running aggregate of one window: counters, a {@link LatencySketch} of its requests' latency and one of each of
 * their stages, and the slowest requests. Windows merge: a task's partial window of the last second merges into the
 * group's window. Mutable, as its sketches are.
 *
 * <p>A window keeps the stages {@value StageTime#EDGE} and {@value StageTime#UPSTREAM}, and at most
 * caddy.stage.max-server-timings of the backend's Server-Timing names, the first to come; the time of the others goes
 * to {@value StageTime#OTHER}, one value per request as {@link StageTime} sums them. When windows merge, a name past the
 * cap folds its whole sketch into {@value StageTime#OTHER}.
 */
public final class LatencyWindow {
    private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99, 0.999};
    private static final double[] STAGE_QUANTILES = {0.5, 0.95, 0.99};

    long errors;
    long denied;
    long overPermissive;
    long overRestrictive;
    long sloBreaches;
    long bytes;
    /** The requests' durations: its count is the window's. */
    final LatencySketch latency = new LatencySketch();
    /** By stage name, in the order they came; null until a request with stages comes, as most windows have none. */
    Map<String, LatencySketch> stages;
    final List<Exemplar> exemplars = new ArrayList<>();
    /**
     * The duration of the last (fastest) of the exemplars, which a request must pass to join them once they are full:
     * kept here, as most requests are compared with it and pass on, rather than read through the list and its last
     * exemplar, two more objects apart in memory for each of a task's many windows.
     */
    private double fastestKeptMs = Double.NEGATIVE_INFINITY;
    /**
     * The exemplars as the serde writes them, kept until they change: a window is encoded once a commit or once a
     * flush, and its slowest requests change less often. Null until encoded, and whenever the exemplars change.
     */
    byte[] encodedExemplars;

    /** The window's requests. */
    long count() {
        return latency.count;
    }

    /** Adds one request; keeps at most {@code maxExemplars} of the slowest, and {@code maxStageNames} of the backend's stages. */
    public LatencyWindow add(LatencyObservation o, int maxExemplars, int maxStageNames) {
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
        latency.add(ms);
        if (!o.stages().isEmpty()) {
            addStages(o.stages(), maxStageNames);
        }
        if (maxExemplars > 0 && (exemplars.size() < maxExemplars || ms > fastestKeptMs)) {
            keepIfSlowest(new Exemplar(o.traceId(), o.spanId(), ms), maxExemplars);
        }
        return this;
    }

    /** A request's stages; those past the cap, its own {@value StageTime#OTHER} among them, as one value. */
    private void addStages(List<StageTime> timed, int maxStageNames) {
        double otherMs = 0;
        boolean other = false;
        for (StageTime stage : timed) {
            LatencySketch sketch = stage.name().equals(StageTime.OTHER) ? null : stage(stage.name(), maxStageNames);
            if (sketch == null) {
                otherMs += stage.millis();
                other = true;
            } else {
                sketch.add(stage.millis());
            }
        }
        if (other) {
            stage(StageTime.OTHER, maxStageNames).add(otherMs);
        }
    }

    /** The sketch of a stage, new if the window has room for it; null when it has none. */
    private LatencySketch stage(String name, int maxStageNames) {
        if (stages == null) {
            stages = new LinkedHashMap<>();
        }
        LatencySketch sketch = stages.get(name);
        if (sketch != null) {
            return sketch;
        }
        if (isBackendName(name) && backendNames() >= maxStageNames) {
            return null;
        }
        sketch = new LatencySketch();
        stages.put(name, sketch);
        return sketch;
    }

    private static boolean isBackendName(String name) {
        return !name.equals(StageTime.EDGE) && !name.equals(StageTime.UPSTREAM) && !name.equals(StageTime.OTHER);
    }

    private int backendNames() {
        int names = 0;
        for (String name : stages.keySet()) {
            if (isBackendName(name)) {
                names++;
            }
        }
        return names;
    }

    /** Adds another window's requests to this one: what the merge of two tasks' partial windows is. */
    public LatencyWindow merge(LatencyWindow other, int maxExemplars, int maxStageNames) {
        errors += other.errors;
        denied += other.denied;
        overPermissive += other.overPermissive;
        overRestrictive += other.overRestrictive;
        sloBreaches += other.sloBreaches;
        bytes += other.bytes;
        latency.merge(other.latency);
        if (other.stages != null) {
            other.stages.forEach((name, sketch) -> {
                LatencySketch into = stage(name, maxStageNames);
                (into == null ? stage(StageTime.OTHER, maxStageNames) : into).merge(sketch);
            });
        }
        for (Exemplar exemplar : other.exemplars) {
            keepIfSlowest(exemplar, maxExemplars);
        }
        return this;
    }

    private void keepIfSlowest(Exemplar exemplar, int max) {
        double ms = exemplar.getDurationMs();
        if (max == 0 || (exemplars.size() >= max && ms <= fastestKeptMs)) {
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
        fastestKeptMs = exemplars.get(exemplars.size() - 1).getDurationMs();
    }

    /** An exemplar of a window read back from its state, which keeps them slowest first. */
    void restoreExemplar(Exemplar exemplar) {
        exemplars.add(exemplar);
        fastestKeptMs = exemplar.getDurationMs();
    }

    /** The aggregate as the topics carry it; route null for a group's window. */
    public LatencyAggregateRecord toRecord(String group, String route, long windowStartMs, long windowEndMs) {
        DDSketch sketch = latency.sketch();
        return LatencyAggregateRecord.newBuilder()
                .setGroup(group)
                .setRoute(route)
                .setWindowStartMs(windowStartMs)
                .setWindowEndMs(windowEndMs)
                .setCount(latency.count)
                .setErrors(errors)
                .setDenied(denied)
                .setMisfires(overPermissive + overRestrictive)
                .setOverPermissive(overPermissive)
                .setOverRestrictive(overRestrictive)
                .setSloBreaches(sloBreaches)
                .setBytes(bytes)
                .setLatencyMs(summary(sketch))
                .setSketch(SketchProtobuf.write(sketch))
                .setExemplars(List.copyOf(exemplars))
                .setStages(stageSummaries())
                .build();
    }

    private LatencySummary summary(DDSketch sketch) {
        if (latency.count == 0) {
            return new LatencySummary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        }
        double[] q = latency.quantiles(sketch, QUANTILES);
        return new LatencySummary(latency.minMs, latency.meanMs(), q[0], q[1], q[2], q[3], q[4], latency.maxMs);
    }

    private Map<String, StageSummary> stageSummaries() {
        if (stages == null || stages.isEmpty()) {
            return Map.of();
        }
        Map<String, StageSummary> summaries = new HashMap<>();
        stages.forEach((name, stage) -> {
            DDSketch sketch = stage.sketch();
            double[] q = stage.quantiles(sketch, STAGE_QUANTILES);
            summaries.put(name, new StageSummary(stage.count, stage.meanMs(), q[0], q[1], q[2], stage.maxMs, SketchProtobuf.write(sketch)));
        });
        return summaries;
    }
}
