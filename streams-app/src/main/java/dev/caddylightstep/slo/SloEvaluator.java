package dev.caddylightstep.slo;

import dev.caddylightstep.aggregate.ClosedWindows;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.schema.SloKeyRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Stage {@code slo}, in the task of the groups whose windows it merges: as windows close, counts them into each
 * group's history and evaluates the burn-rate rules of the group's objectives at the end of each closed window, in log
 * time. A rule that starts or stops holding is one alert record, written in the same transaction as the history that
 * decided it: exactly once across crashes and rebalances, and a replayed log raises the same alerts. A group with no
 * window in a close is evaluated too, as having had no requests, so that its alerts resolve when it goes quiet.
 */
final class SloEvaluator implements Processor<Object, ClosedWindows, SloKeyRecord, SloAlertRecord> {
    private final String historyStore;
    private final String policiesStore;
    private final long windowMs;
    private ProcessorContext<SloKeyRecord, SloAlertRecord> context;
    private KeyValueStore<String, SloHistory> histories;
    private KeyValueStore<String, Object> policies;

    SloEvaluator(String historyStore, String policiesStore, long windowMs) {
        this.historyStore = historyStore;
        this.policiesStore = policiesStore;
        this.windowMs = windowMs;
    }

    @Override
    public void init(ProcessorContext<SloKeyRecord, SloAlertRecord> context) {
        this.context = context;
        this.histories = context.getStateStore(historyStore);
        this.policies = context.getStateStore(policiesStore);
    }

    @Override
    public void process(Record<Object, ClosedWindows> record) {
        try {
            evaluate(record.value());
        } catch (Throwable t) {
            throw RecordFailure.of("slo", t);
        }
    }

    private void evaluate(ClosedWindows closed) {
        TreeMap<Long, List<LatencyAggregateRecord>> byEnd = new TreeMap<>();
        for (LatencyAggregateRecord window : closed.windows()) {
            byEnd.computeIfAbsent(window.getWindowEndMs(), end -> new ArrayList<>()).add(window);
        }
        Map<String, SloHistory> changed = new LinkedHashMap<>();
        for (LatencyAggregateRecord late : closed.lateToClosed()) {
            // counted where they belong, not evaluated: alerts move on at the next close, with them in
            changed.computeIfAbsent(late.getGroup(), this::history).record(late.getWindowStartMs(), late.getCount(), late.getSloBreaches(),
                    late.getErrors());
        }
        for (Map.Entry<Long, List<LatencyAggregateRecord>> end : byEnd.entrySet()) {
            for (LatencyAggregateRecord window : end.getValue()) {
                SloHistory history = changed.computeIfAbsent(window.getGroup(), this::history);
                history.record(window.getWindowStartMs(), window.getCount(), window.getSloBreaches(), window.getErrors());
                history.latest = SloHistory.LatestWindow.of(window);
                evaluate(window.getGroup(), history, end.getKey(), window);
            }
        }
        if (byEnd.isEmpty()) {
            changed.forEach(histories::put);
            return;
        }
        long lastEnd = byEnd.lastKey();
        try (KeyValueIterator<String, SloHistory> all = histories.all()) {
            while (all.hasNext()) {
                KeyValue<String, SloHistory> entry = all.next();
                if (!changed.containsKey(entry.key) && entry.value.evaluatedAtMs < lastEnd) {
                    changed.put(entry.key, entry.value);
                    evaluate(entry.key, entry.value, lastEnd, null);
                }
            }
        }
        changed.forEach(histories::put);
    }

    private SloHistory history(String group) {
        SloHistory stored = histories.get(group);
        return stored != null ? stored : new SloHistory(windowMs);
    }

    /** The group's objectives at the end of a window, and the alerts that change there; window null when the group had none. */
    private void evaluate(String group, SloHistory history, long endMs, LatencyAggregateRecord window) {
        history.evaluatedAtMs = endMs;
        Policy policy = policy(group);
        for (Slo slo : Slo.values()) {
            Double target = policy == null ? null : slo.target(policy);
            int s = slo.ordinal();
            if (target == null) {
                history.targets[s] = Double.NaN;
                java.util.Arrays.fill(history.burnRates[s], 0.0);
                history.budgetRemaining[s] = 1.0;
                // an objective taken away resolves its alerts: nothing is promised, nothing burns
                for (BurnRateRule.Severity severity : BurnRateRule.Severity.values()) {
                    if (history.isFiring(slo, severity)) {
                        history.setFiring(slo, severity, false);
                        alert(group, slo, severity, false, endMs, Double.NaN, history, window);
                    }
                }
                continue;
            }
            double[] rates = history.burnRates(slo, target, endMs);
            history.targets[s] = target;
            history.burnRates[s] = rates;
            history.budgetRemaining[s] = 1.0 - rates[Period.THREE_DAYS.ordinal()];
            for (BurnRateRule.Severity severity : BurnRateRule.Severity.values()) {
                boolean fires = BurnRateRule.fires(severity, rates);
                if (fires != history.isFiring(slo, severity)) {
                    history.setFiring(slo, severity, fires);
                    alert(group, slo, severity, fires, endMs, target, history, window);
                }
            }
        }
    }

    private Policy policy(String group) {
        Object stored = policies.get(group);
        if (stored instanceof ValueAndTimestamp<?> timestamped) {
            stored = timestamped.value();
        }
        return (Policy) stored;
    }

    private void alert(String group, Slo slo, BurnRateRule.Severity severity, boolean firing, long endMs, double target, SloHistory history,
                       LatencyAggregateRecord window) {
        Map<String, Double> rates = new LinkedHashMap<>();
        for (Period period : Period.values()) {
            rates.put(period.code, history.burnRates[slo.ordinal()][period.ordinal()]);
        }
        List<String> exemplars = window == null ? List.of() : window.getExemplars().stream().map(Exemplar::getTraceId).toList();
        SloAlertRecord alert = SloAlertRecord.newBuilder()
                .setGroup(group)
                .setSlo(slo.code)
                .setSeverity(severity.code)
                .setState(firing ? "firing" : "resolved")
                .setAtMs(endMs)
                .setTarget(target)
                .setBurnRates(rates)
                .setBudgetRemaining(history.budgetRemaining[slo.ordinal()])
                .setWindowStartMs(endMs - windowMs)
                .setWindowEndMs(endMs)
                .setExemplars(exemplars)
                .build();
        context.forward(new Record<>(new SloKeyRecord(group, slo.code), alert, endMs));
    }
}
