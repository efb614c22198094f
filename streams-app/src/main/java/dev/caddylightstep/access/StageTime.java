package dev.caddylightstep.access;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where one request's time went, by stage, in milliseconds: {@value #EDGE} (in Caddy, outside the upstream call),
 * {@value #UPSTREAM} (the upstream call, as Caddy timed it), then the backend's own Server-Timing entries (its
 * database, cache, render time...), which are parts of the upstream's time as the backend saw it.
 */
public record StageTime(String name, double millis) {
    public static final String EDGE = "edge";
    public static final String UPSTREAM = "upstream";
    /** The backend's entries past caddy.stage.max-server-timings names, summed. */
    public static final String OTHER = "{other}";
    private static final int MAX_NAME_CHARS = 64;

    /**
     * The stages of a request: edge and upstream when its upstream was timed, and its backend's timed entries by
     * {@link #stageName}, an entry named twice summed (a backend may time each of its queries), the names after the
     * first {@code maxBackendNames} summed under {@value #OTHER}. A backend entry named edge or upstream is left
     * out: those names are Caddy's measures.
     */
    public static List<StageTime> of(AccessEvent event, int maxBackendNames) {
        UpstreamTiming upstream = event.upstream();
        if (upstream == null) {
            return backend(event, maxBackendNames);
        }
        List<StageTime> backend = backend(event, maxBackendNames);
        List<StageTime> stages = new ArrayList<>(2 + backend.size());
        stages.add(new StageTime(EDGE, event.edgeMillis()));
        stages.add(new StageTime(UPSTREAM, upstream.millis()));
        stages.addAll(backend);
        return stages;
    }

    /** The backend's stages alone: its timed Server-Timing entries, as {@link #of} has them. */
    public static List<StageTime> backend(AccessEvent event, int maxBackendNames) {
        List<ServerTiming.Metric> metrics = event.serverTiming().metrics();
        if (metrics.isEmpty()) {
            return List.of();
        }
        Map<String, Double> byName = new LinkedHashMap<>();
        double other = 0;
        boolean hasOther = false;
        for (ServerTiming.Metric metric : metrics) {
            if (!metric.hasDuration()) {
                continue;
            }
            String name = stageName(metric.name());
            if (name.equals(EDGE) || name.equals(UPSTREAM) || name.equals(ServerTiming.CADDY_UPSTREAM)) {
                continue;
            }
            if (byName.containsKey(name) || byName.size() < maxBackendNames) {
                byName.merge(name, metric.durationMillis(), Double::sum);
            } else {
                other += metric.durationMillis();
                hasOther = true;
            }
        }
        List<StageTime> stages = new ArrayList<>(byName.size() + 1);
        byName.forEach((name, millis) -> stages.add(new StageTime(name, millis)));
        if (hasOther) {
            stages.add(new StageTime(OTHER, other));
        }
        return stages;
    }

    /** A Server-Timing name as stage names and attribute keys have it: lower case, [a-z0-9_.-], at most 64 characters. */
    public static String stageName(String metricName) {
        String lower = metricName.toLowerCase(Locale.ROOT);
        StringBuilder name = new StringBuilder(Math.min(lower.length(), MAX_NAME_CHARS));
        for (int i = 0; i < lower.length() && name.length() < MAX_NAME_CHARS; i++) {
            char c = lower.charAt(i);
            boolean kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
            name.append(kept ? c : '_');
        }
        return name.toString();
    }
}
