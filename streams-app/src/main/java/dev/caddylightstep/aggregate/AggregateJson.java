package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;

/**
 * The JSON form of a window's aggregate, one mapping for the demo's --aggregates-out lines and the HTTP
 * query answers. The sketch stays on the topic: JSON readers get its quantiles.
 */
public final class AggregateJson {
    public static final ObjectMapper JSON = new ObjectMapper();

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
