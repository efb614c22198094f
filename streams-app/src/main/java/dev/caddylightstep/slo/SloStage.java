package dev.caddylightstep.slo;

import dev.caddylightstep.aggregate.ClosedWindows;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.schema.SloKeyRecord;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Stage {@code slo}: burn-rate alerts of each group's objectives, from its windows as they close ({@link SloEvaluator}).
 * Its store, {@value #HISTORY_STORE}, is also what /metrics reads for each group's burn rates and budget.
 */
public final class SloStage {
    public static final String HISTORY_STORE = "slo-history";

    private SloStage() {
    }

    /**
     * @param closedGroups the windows as they close, in the task of their group: only the group windows count
     * @param policiesStore the global store of the policies, which say each group's targets
     */
    public static <K> KStream<SloKeyRecord, SloAlertRecord> apply(StreamsBuilder builder, KStream<K, ClosedWindows> closedGroups,
                                                                  String policiesStore, Duration windowSize) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(), SloHistorySerde.create()));
        long windowMs = windowSize.toMillis();
        ProcessorSupplier<Object, ClosedWindows, SloKeyRecord, SloAlertRecord> evaluator = () -> new SloEvaluator(HISTORY_STORE, policiesStore, windowMs);
        return closedGroups.process(evaluator, Named.as("slo-evaluate"), HISTORY_STORE);
    }
}
