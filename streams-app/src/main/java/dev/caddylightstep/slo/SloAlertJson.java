package dev.caddylightstep.slo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.schema.SloAlertRecord;

/** The JSON line of an alert, as the demo's --alerts-out writes it. */
public final class SloAlertJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SloAlertJson() {
    }

    public static ObjectNode of(SloAlertRecord alert) {
        ObjectNode node = JSON.createObjectNode();
        node.put("group", alert.getGroup());
        node.put("slo", alert.getSlo());
        node.put("severity", alert.getSeverity());
        node.put("state", alert.getState());
        node.put("at_ms", alert.getAtMs());
        ObjectNode rates = node.putObject("burn_rates");
        // in the periods' order: an Avro map read back has none
        for (Period period : Period.values()) {
            Double rate = alert.getBurnRates().get(period.code);
            if (rate != null) {
                rates.put(period.code, round(rate));
            }
        }
        node.put("budget_remaining", round(alert.getBudgetRemaining()));
        node.putArray("exemplars").addAll(alert.getExemplars().stream().map(node::textNode).toList());
        return node;
    }

    /** Four decimals: a burn rate of 14.4 or a budget of 0.9312 need no more. */
    static double round(double value) {
        return Math.round(value * 10_000.0) / 10_000.0;
    }

    public static String line(SloAlertRecord alert) {
        return of(alert).toString();
    }
}
