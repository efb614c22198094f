package dev.caddylightstep.slo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.query.Peers;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries over the objectives of every group, as their last evaluation left them: a group's history lives
 * in the instance that merges its windows, so this one's store is read and the others are asked for theirs
 * ({@link Peers}). A group whose policy sets no target is left out.
 */
public final class SloQueries {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Comparator<JsonNode> BY_GROUP = Comparator.comparing(group -> group.path("group").asText());

    private final KafkaStreams streams;
    private final Peers peers;

    public SloQueries(KafkaStreams streams, Peers peers) {
        this.streams = streams;
        this.peers = peers;
    }

    /** Every group with an objective, by name: {@code [{"group", "slos": [{"slo", "target", "budget_remaining", ...}]}]}. */
    public ArrayNode allGroups(boolean localOnly) {
        List<JsonNode> groups = new ArrayList<>(local());
        if (!localOnly) {
            for (ArrayNode answer : peers.askAll(SloStage.HISTORY_STORE, "/api/slo?scope=local")) {
                answer.forEach(groups::add);
            }
        }
        groups.sort(BY_GROUP);
        return JSON.createArrayNode().addAll(groups);
    }

    private List<JsonNode> local() {
        ReadOnlyKeyValueStore<String, SloHistory> store = streams.store(
                StoreQueryParameters.fromNameAndType(SloStage.HISTORY_STORE, QueryableStoreTypes.<String, SloHistory>keyValueStore()));
        List<JsonNode> groups = new ArrayList<>();
        try (KeyValueIterator<String, SloHistory> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, SloHistory> entry = all.next();
                ArrayNode slos = objectives(entry.value);
                if (!slos.isEmpty()) {
                    ObjectNode group = JSON.createObjectNode();
                    group.put("group", entry.key);
                    group.set("slos", slos);
                    groups.add(group);
                }
            }
        }
        return groups;
    }

    /** The objectives the group's policy set at the last evaluation, each with its burn rates and the alerts that fire. */
    static ArrayNode objectives(SloHistory history) {
        ArrayNode slos = JSON.createArrayNode();
        for (Slo slo : Slo.values()) {
            Double target = history.target(slo);
            if (target == null) {
                continue;
            }
            ObjectNode node = slos.addObject();
            node.put("slo", slo.code);
            node.put("target", target);
            node.put("budget_remaining", SloAlertJson.round(history.budgetRemaining(slo)));
            ObjectNode rates = node.putObject("burn_rates");
            for (Period period : Period.values()) {
                rates.put(period.code, SloAlertJson.round(history.burnRates[slo.ordinal()][period.ordinal()]));
            }
            ArrayNode firing = node.putArray("firing");
            for (BurnRateRule.Severity severity : BurnRateRule.Severity.values()) {
                if (history.isFiring(slo, severity)) {
                    firing.add(severity.code);
                }
            }
            node.put("evaluated_at_ms", history.evaluatedAtMs);
        }
        return slos;
    }
}
