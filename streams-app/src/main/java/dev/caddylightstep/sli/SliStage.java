package dev.caddylightstep.sli;

import dev.caddylightstep.aggregate.ClosedWindows;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Stage {@code sli}: each window of a group's routes, as it closes, becomes one OTLP metrics record
 * ({@link WindowMetrics}), keyed by the group, for the forwarder to export; together they are the group's window. Written in the transaction that closed the
 * window, so that each window is exported once.
 */
public final class SliStage {

    private SliStage() {
    }

    /**
     * @param closed the windows as they close, in the task of their group
     * @param resourceAttributes the spans' resource attributes
     */
    public static <K> KStream<String, byte[]> apply(KStream<K, ClosedWindows> closed, Map<String, String> resourceAttributes) {
        WindowMetrics metrics = new WindowMetrics(resourceAttributes);
        return closed.flatMap((key, windows) -> {
            List<KeyValue<String, byte[]>> records = new ArrayList<>(windows.routeWindows().size());
            for (LatencyAggregateRecord window : windows.routeWindows()) {
                if (WindowMetrics.exported(window)) {
                    records.add(KeyValue.pair(window.getGroup(), metrics.of(window).toByteArray()));
                }
            }
            return records;
        }, Named.as("window-metrics"));
    }
}
