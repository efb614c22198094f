package dev.caddylightstep.slo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.query.LocalStores;
import dev.caddylightstep.query.Peers;
import dev.caddylightstep.query.QueryScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
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

    /**
     * Every group with an objective, by name: {@code [{"group", "slos": [{"slo", "target", "budget_remaining", ...}]}]};
     * of every partition, from the instance that holds it, or (scope=local) of the partitions asked for, else of all
     * this instance holds.
     */
    public ArrayNode allGroups(QueryScope scope) {
        List<JsonNode> groups = new ArrayList<>();
        if (scope.local()) {
            local(scope.partitions()).forEach(groups::add);
        } else {
            peers.everyPartition(SloStage.HISTORY_STORE, "/api/slo", this::local).forEach(answer -> answer.forEach(groups::add));
        }
        groups.sort(BY_GROUP);
        return JSON.createArrayNode().addAll(groups);
    }

    /** This instance's groups, in the given partitions or (null) in all it holds; one it does not hold is an InvalidStateStoreException. */
    private ArrayNode local(Set<Integer> partitions) {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, SloHistory>> parameters =
                StoreQueryParameters.fromNameAndType(SloStage.HISTORY_STORE, QueryableStoreTypes.<String, SloHistory>keyValueStore());
        ArrayNode groups = JSON.createArrayNode();
        for (ReadOnlyKeyValueStore<String, SloHistory> store : LocalStores.of(streams, parameters, partitions)) {
            read(store, groups);
        }
        return groups;
    }

    private static void read(ReadOnlyKeyValueStore<String, SloHistory> store, ArrayNode groups) {
        try (KeyValueIterator<String, SloHistory> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, SloHistory> entry = all.next();
                ArrayNode slos = objectives(entry.value);
                if (!slos.isEmpty()) {
                    ObjectNode group = groups.addObject();
                    group.put("group", entry.key);
                    group.set("slos", slos);
                }
            }
        }
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
