package dev.caddylightstep.topology;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * A task's lookups in a global table, each key's entry (or its absence) remembered until the table changes. Every
 * request looks its identity and its group up; through the store each lookup serialized the key, took the store's lock,
 * walked its sorted map comparing bytes and read the value back, 4.4% of the stream threads' samples in bench. Not
 * thread-safe: one for each task, as its processor is.
 *
 * <p>What it remembers is bounded: the keys come from the lines (a user id is whatever a client sends), so past
 * {@link #MAX_REMEMBERED} keys it starts again, and a key longer than {@link #MAX_REMEMBERED_KEY_CHARS} is looked up
 * every time, not kept (4,096 user ids of a megabyte each would be 4 GB).
 */
final class TableLookup<V> {
    static final int MAX_REMEMBERED = 4096;
    static final int MAX_REMEMBERED_KEY_CHARS = 256;
    /** What a key absent from the table is remembered as, since the map's null means not looked up. */
    private static final Object ABSENT = new Object();
    private final String storeName;
    private final TableVersion version;
    private final Map<String, Object> remembered = new HashMap<>();
    private TimestampedKeyValueStore<String, V> store;
    private long rememberedVersion = -1;

    TableLookup(String storeName, TableVersion version) {
        this.storeName = storeName;
        this.version = version;
    }

    void init(ProcessorContext<?, ?> context) {
        store = context.getStateStore(storeName);
        remembered.clear();
        rememberedVersion = -1;
    }

    /** The table's value for the key, null when it has none. */
    @SuppressWarnings("unchecked")
    V get(String key) {
        // read before the store: a change that lands after this read moves the version, and the next lookup forgets
        long current = version.current();
        if (current != rememberedVersion) {
            remembered.clear();
            rememberedVersion = current;
        }
        Object entry = remembered.get(key);
        if (entry != null) {
            return entry == ABSENT ? null : (V) entry;
        }
        V value = ValueAndTimestamp.getValueOrNull(store.get(key));
        if (key.length() > MAX_REMEMBERED_KEY_CHARS) {
            return value;
        }
        if (remembered.size() == MAX_REMEMBERED) {
            remembered.clear();
        }
        remembered.put(key, value == null ? ABSENT : value);
        return value;
    }
}
