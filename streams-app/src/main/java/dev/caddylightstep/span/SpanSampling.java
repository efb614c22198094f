package dev.caddylightstep.span;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.ParseStage;
import dev.caddylightstep.aggregate.OpenWindows;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import dev.caddylightstep.span.SamplingSettings.KeepRule;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * Decides, before a span is written, whether it is exported: a span a keep rule keeps always is, the others with their
 * group's probability, decided on the trace id (so every instance, and a replay, decides the same). A span sampled out
 * costs neither the spans topic nor the forwarder; the windows count every request all the same, being made beside.
 *
 * <p>The exemplar rule keeps a request that is, when it comes, among the slowest of its group's window and of its
 * route's window in this task (ties included): a request among the slowest of the whole window was among the slowest of
 * its own task's share when it came, so every exemplar a window links to is an exported trace. Those trackers are kept
 * in memory for the windows still open; one lost with a restart only makes the task keep more.
 */
final class SpanSampling {
    private final SamplingSettings settings;
    private final long sizeMs;
    /** Windows that start further back than this from a request's are closed: their trackers go. */
    private final long openMs;
    private final int slowest;
    /** Window start → group → the durations of the slowest requests so far, in the group's window and its routes'. */
    private final OpenWindows<Map<String, SlowestSoFar>> trackers = new OpenWindows<>(HashMap::new);
    private final Map<KeepRule, Sensor> kept = new EnumMap<>(KeepRule.class);
    private Sensor keptAtRandom;
    private Sensor dropped;

    SpanSampling(SamplingSettings settings, WindowSettings windows) {
        this.settings = settings;
        this.sizeMs = windows.size().toMillis();
        this.openMs = windows.grace().toMillis() + 2 * sizeMs;
        this.slowest = windows.exemplars();
    }

    void init(StreamsMetrics metrics) {
        for (KeepRule rule : KeepRule.values()) {
            kept.put(rule, sensor(metrics, "kept", rule.code()));
        }
        keptAtRandom = sensor(metrics, "kept", "ratio");
        dropped = sensor(metrics, "dropped", "ratio");
    }

    /** Shown by the application as caddy_spans_sampled_total{decision,reason}. */
    private static Sensor sensor(StreamsMetrics metrics, String decision, String reason) {
        return metrics.addRateTotalSensor(ParseStage.METRICS_SCOPE, SpanStage.samplingMetricEntity(decision, reason),
                "spans-sampled", Sensor.RecordingLevel.INFO);
    }

    /**
     * The tracestate to export the request's span with ("" for the incoming one, unchanged), or null when it is sampled out.
     *
     * @param timestamp when the request was logged: its window
     * @param now this instance's clock, as Kafka Streams read it for the record: when the decision is counted
     */
    String traceState(long timestamp, EnrichedRequest request, long now) {
        return RecordFailure.guard("sample", () -> decide(timestamp, request, now));
    }

    /** The tracestate to export the span with ("" for the incoming one, unchanged), or null when it is sampled out. */
    private String decide(long timestamp, EnrichedRequest request, long now) {
        KeepRule rule = keepRule(timestamp, request);
        Double groupRatio = request.verdict().sampleRatio();
        double ratio = groupRatio != null ? groupRatio : settings.ratio();
        String incoming = request.event().trace().traceState();
        if (rule != null) {
            kept.get(rule).record(1, now);
            return ratio >= 1 ? "" : SamplingThreshold.ALWAYS.inTraceState(incoming);
        }
        if (ratio >= 1) {
            keptAtRandom.record(1, now);
            return "";
        }
        SamplingThreshold threshold = SamplingThreshold.ofProbability(ratio);
        if (threshold.keeps(request.event().trace().traceId(), incoming)) {
            keptAtRandom.record(1, now);
            return threshold.inTraceState(incoming);
        }
        dropped.record(1, now);
        return null;
    }

    /** The first rule that keeps the request, or null; the slowest are tracked, while that rule is on, whatever keeps the request. */
    private KeepRule keepRule(long timestamp, EnrichedRequest request) {
        AccessEvent event = request.event();
        boolean slow = settings.keep().contains(KeepRule.EXEMPLARS) && amongTheSlowest(timestamp, request);
        if (settings.keep().contains(KeepRule.ERRORS) && event.status() >= 500) {
            return KeepRule.ERRORS;
        }
        if (settings.keep().contains(KeepRule.DENIALS) && (event.status() == 401 || event.status() == 403)) {
            return KeepRule.DENIALS;
        }
        if (settings.keep().contains(KeepRule.MISFIRES) && request.verdict().misfire() != null) {
            return KeepRule.MISFIRES;
        }
        if (settings.keep().contains(KeepRule.SLO_BREACHES) && request.verdict().sloBreached()) {
            return KeepRule.SLO_BREACHES;
        }
        return settings.keep().contains(KeepRule.EXEMPLARS) && slow ? KeepRule.EXEMPLARS : null;
    }

    /** Whether the request is among the slowest of its group's window or of its route's window so far; both remember it. */
    private boolean amongTheSlowest(long timestamp, EnrichedRequest request) {
        long windowStart = timestamp - Math.floorMod(timestamp, sizeMs);
        trackers.forgetThrough(windowStart - openMs - 1);
        SlowestSoFar group = trackers.of(windowStart).computeIfAbsent(request.identity().group(), key -> new SlowestSoFar());
        String route = request.route() == null ? WindowSettings.OTHER_ROUTE : request.route();
        long duration = request.event().durationNanos();
        boolean inGroup = enters(group.inGroup, duration);
        boolean inRoute = enters(group.byRoute.computeIfAbsent(route, key -> new PriorityQueue<>()), duration);
        return inGroup || inRoute;
    }

    /** The durations of a group's slowest requests so far in one window: of the whole group, and of each of its routes. */
    private static final class SlowestSoFar {
        final PriorityQueue<Long> inGroup = new PriorityQueue<>();
        final Map<String, PriorityQueue<Long>> byRoute = new HashMap<>();
    }

    /** Adds the duration to the slowest kept (a min-heap of at most {@code slowest}) if it is at least the least of them. */
    private boolean enters(PriorityQueue<Long> slowestSoFar, long duration) {
        if (slowest == 0) {
            return false;
        }
        if (slowestSoFar.size() < slowest) {
            slowestSoFar.add(duration);
            return true;
        }
        if (duration < slowestSoFar.peek()) {
            return false;
        }
        slowestSoFar.poll();
        slowestSoFar.add(duration);
        return true;
    }
}
