package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;
import dev.caddylightstep.schema.StageSummary;
import java.util.Comparator;
import java.util.Map;

/**
 * The JSON form of a window's aggregate, one mapping for the demo's --aggregates-out lines and the HTTP
 * query answers. The sketches, the window's and its stages', stay on the topic: JSON readers get their quantiles.
 */
public final class AggregateJson {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** Stages in a stable order (an Avro map has none): Caddy's first, as a request goes through them, the backend's by name, {other} last. */
    private static final Comparator<String> STAGE_ORDER = Comparator.<String>comparingInt(name -> switch (name) {
        case StageTime.EDGE -> 0;
        case StageTime.UPSTREAM -> 1;
        case StageTime.OTHER -> 3;
        default -> 2;
    }).thenComparing(Comparator.naturalOrder());

    private AggregateJson() {
    }

    public static ObjectNode of(LatencyAggregateRecord r) {
        ObjectNode node = JSON.createObjectNode();
        node.put("group", r.getGroup());
        if (r.getRoute() != null) {
            node.put("route", r.getRoute());
        }
        node.put("window_start_ms", r.getWindowStartMs());
        node.put("window_end_ms", r.getWindowEndMs());
        node.put("count", r.getCount());
        node.put("errors", r.getErrors());
        node.put("denied", r.getDenied());
        node.put("misfires", r.getMisfires());
        node.put("over_permissive", r.getOverPermissive());
        node.put("over_restrictive", r.getOverRestrictive());
        node.put("slo_breaches", r.getSloBreaches());
        node.put("bytes", r.getBytes());
        LatencySummary l = r.getLatencyMs();
        ObjectNode latency = node.putObject("latency_ms");
        latency.put("min", round(l.getMin()));
        latency.put("mean", round(l.getMean()));
        latency.put("p50", round(l.getP50()));
        latency.put("p90", round(l.getP90()));
        latency.put("p95", round(l.getP95()));
        latency.put("p99", round(l.getP99()));
        latency.put("p999", round(l.getP999()));
        latency.put("max", round(l.getMax()));
        ArrayNode exemplars = node.putArray("exemplars");
        for (Exemplar e : r.getExemplars()) {
            exemplars.add(e.getTraceId());
        }
        // always present, empty when nothing timed the window's requests, so that every window reads alike
        ObjectNode stages = node.putObject("stages");
        r.getStages().entrySet().stream().sorted(Map.Entry.comparingByKey(STAGE_ORDER)).forEach(entry -> {
            StageSummary s = entry.getValue();
            ObjectNode stage = stages.putObject(entry.getKey());
            stage.put("count", s.getCount());
            stage.put("mean", round(s.getMean()));
            stage.put("p50", round(s.getP50()));
            stage.put("p95", round(s.getP95()));
            stage.put("p99", round(s.getP99()));
            stage.put("max", round(s.getMax()));
        });
        return node;
    }

    /** Microsecond precision: the sketch is only 1% accurate, and readers want short numbers. */
    private static double round(double ms) {
        return Math.round(ms * 1000.0) / 1000.0;
    }

    public static String line(LatencyAggregateRecord r) {
        return of(r).toString();
    }
}
