package dev.caddylightstep.topology;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A global table's store kept as its topic says: an entry for each key's last record, none after a tombstone. What a DSL
 * global table does, but as a global store Kafka Streams restores through this processor and the topic's deserializer,
 * as it reads new records: a record the deserializer cannot read is skipped at a restart too, and the entry keeps the
 * value it had (a DSL global table is restored from the topic's raw bytes, so that every lookup of the key failed
 * after a restart). Each change is counted in the table's {@link TableVersion} once the store has it.
 */
final class TableUpdates<V> implements Processor<String, V, Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(TableUpdates.class);
    private final String storeName;
    private final TableVersion version;
    private ProcessorContext<Void, Void> context;
    private TimestampedKeyValueStore<String, V> store;

    TableUpdates(String storeName, TableVersion version) {
        this.storeName = storeName;
        this.version = version;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, V> record) {
        if (record.key() == null) {
            // a compacted topic (as topics create makes it) takes none; a topic made otherwise may hold one
            context.recordMetadata().ifPresent(source -> LOG.warn("skipped a record of {} partition {} offset {} without a key: "
                    + "a table's entries are found by their key", source.topic(), source.partition(), source.offset()));
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
        }
        version.changed();
    }
}
