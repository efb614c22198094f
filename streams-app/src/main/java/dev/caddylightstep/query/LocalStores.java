package dev.caddylightstep.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;

/** This instance's stores of one name, for the queries that read them. */
public final class LocalStores {
    private LocalStores() {
    }

    /**
     * The store of each of the given partitions, or (partitions null) one over every partition this instance holds; a
     * partition it does not hold now is an InvalidStateStoreException, before any store is read.
     */
    public static <T> List<T> of(KafkaStreams streams, StoreQueryParameters<T> parameters, Set<Integer> partitions) {
        if (partitions == null) {
            return List.of(streams.store(parameters));
        }
        List<T> stores = new ArrayList<>(partitions.size());
        for (int partition : partitions) {
            stores.add(streams.store(parameters.withPartition(partition)));
        }
        return stores;
    }
}
