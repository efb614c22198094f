package dev.caddylightstep.run;

import dev.caddylightstep.slo.Slo;
import dev.caddylightstep.slo.SloHistory;
import dev.caddylightstep.slo.SloStage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The objectives and latest closed window of each group whose windows this instance merges, read from the SLO stage's
 * store every few seconds: {@code caddy_slo_burn_rate{group,slo,window}}, {@code caddy_slo_budget_remaining{group,slo}},
 * {@code caddy_slo_target}, {@code caddy_slo_alert_firing{group,slo,severity}}, and {@code caddy_group_requests},
 * {@code _errors}, {@code _denials}, {@code _misfires}, {@code caddy_group_latency_ms{group,quantile}} and
 * {@code caddy_group_window_end_seconds}. A group that moves to another instance leaves this one's series with it.
 */
final class SloMetrics {
    private static final Duration REFRESH = Duration.ofSeconds(5);
    private static final String[] SEVERITIES = {"page", "ticket"};

    private final KafkaStreams streams;
    private final MultiGauge burnRate;
    private final MultiGauge budget;
    private final MultiGauge target;
    private final MultiGauge firing;
    private final MultiGauge requests;
    private final MultiGauge errors;
    private final MultiGauge denials;
    private final MultiGauge misfires;
    private final MultiGauge latency;
    private final MultiGauge windowEnd;

    private SloMetrics(KafkaStreams streams, MeterRegistry registry) {
        this.streams = streams;
        burnRate = gauge(registry, "caddy.slo.burn.rate", "how fast the group burns its error budget over the window (1 = as fast as the target allows)");
        budget = gauge(registry, "caddy.slo.budget.remaining", "share of the last 3 days' error budget left; negative when overspent");
        target = gauge(registry, "caddy.slo.target", "the objective's target share of good requests");
        firing = gauge(registry, "caddy.slo.alert.firing", "1 while the burn-rate alert of this severity fires");
        requests = gauge(registry, "caddy.group.requests", "requests of the group's latest closed window");
        errors = gauge(registry, "caddy.group.errors", "5xx answers of the group's latest closed window");
        denials = gauge(registry, "caddy.group.denials", "401 and 403 answers of the group's latest closed window");
        misfires = gauge(registry, "caddy.group.misfires", "policy misfires of the group's latest closed window");
        latency = gauge(registry, "caddy.group.latency.ms", "latency quantiles of the group's latest closed window, in ms");
        windowEnd = gauge(registry, "caddy.group.window.end.seconds", "end of the group's latest closed window, epoch seconds");
    }

    private static MultiGauge gauge(MeterRegistry registry, String name, String description) {
        return MultiGauge.builder(name).description(description).register(registry);
    }

    static void bind(KafkaStreams streams, MeterRegistry registry, ScheduledExecutorService refresh) {
        SloMetrics metrics = new SloMetrics(streams, registry);
        refresh.scheduleWithFixedDelay(metrics::refresh, REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        ReadOnlyKeyValueStore<String, SloHistory> store;
        try {
            store = streams.store(StoreQueryParameters.fromNameAndType(SloStage.HISTORY_STORE, QueryableStoreTypes.<String, SloHistory>keyValueStore()));
        } catch (InvalidStateStoreException e) {
            // not running yet, or rebalancing: the series stay as they were until the store answers again
            return;
        }
        Rows rows = new Rows();
        try (KeyValueIterator<String, SloHistory> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, SloHistory> entry = all.next();
                rows.add(entry.key, entry.value);
            }
        } catch (InvalidStateStoreException e) {
            return;
        }
        burnRate.register(rows.burnRate, true);
        budget.register(rows.budget, true);
        target.register(rows.target, true);
        firing.register(rows.firing, true);
        requests.register(rows.requests, true);
        errors.register(rows.errors, true);
        denials.register(rows.denials, true);
        misfires.register(rows.misfires, true);
        latency.register(rows.latency, true);
        windowEnd.register(rows.windowEnd, true);
    }

    /** The rows of every gauge, from the groups' histories. */
    private static final class Rows {
        final List<MultiGauge.Row<?>> burnRate = new ArrayList<>();
        final List<MultiGauge.Row<?>> budget = new ArrayList<>();
        final List<MultiGauge.Row<?>> target = new ArrayList<>();
        final List<MultiGauge.Row<?>> firing = new ArrayList<>();
        final List<MultiGauge.Row<?>> requests = new ArrayList<>();
        final List<MultiGauge.Row<?>> errors = new ArrayList<>();
        final List<MultiGauge.Row<?>> denials = new ArrayList<>();
        final List<MultiGauge.Row<?>> misfires = new ArrayList<>();
        final List<MultiGauge.Row<?>> latency = new ArrayList<>();
        final List<MultiGauge.Row<?>> windowEnd = new ArrayList<>();

        void add(String group, SloHistory history) {
            Tags byGroup = Tags.of("group", group);
            for (Slo slo : Slo.values()) {
                Double objective = history.target(slo);
                if (objective == null) {
                    continue;
                }
                Tags bySlo = byGroup.and("slo", slo.code);
                target.add(MultiGauge.Row.of(bySlo, objective));
                budget.add(MultiGauge.Row.of(bySlo, history.budgetRemaining(slo)));
                for (String period : SloHistory.periods()) {
                    burnRate.add(MultiGauge.Row.of(bySlo.and("window", period), history.burnRate(slo, period)));
                }
                for (String severity : SEVERITIES) {
                    firing.add(MultiGauge.Row.of(bySlo.and("severity", severity), history.firing(slo, severity) ? 1 : 0));
                }
            }
            SloHistory.LatestWindow latest = history.latest();
            if (latest != null) {
                requests.add(MultiGauge.Row.of(byGroup, latest.requests()));
                errors.add(MultiGauge.Row.of(byGroup, latest.errors()));
                denials.add(MultiGauge.Row.of(byGroup, latest.denied()));
                misfires.add(MultiGauge.Row.of(byGroup, latest.misfires()));
                latency.add(MultiGauge.Row.of(byGroup.and("quantile", "0.5"), latest.p50()));
                latency.add(MultiGauge.Row.of(byGroup.and("quantile", "0.9"), latest.p90()));
                latency.add(MultiGauge.Row.of(byGroup.and("quantile", "0.99"), latest.p99()));
                windowEnd.add(MultiGauge.Row.of(byGroup, latest.windowEndMs() / 1000.0));
            }
        }
    }
}
