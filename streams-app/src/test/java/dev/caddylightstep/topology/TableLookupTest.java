package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A task's lookups in a global table: what it remembers is forgotten when the table changes, and there is a bound on it
 * whatever keys the lines bring. The pipeline's side (a changed, added or removed entry seen by the next request) is
 * in EnrichStageTest and JudgeStageTest.
 */
class TableLookupTest {
    private final MockProcessorContext<Object, Object> context = context();
    private final TableVersion version = new TableVersion();
    private final TableLookup<String> lookup = new TableLookup<>("groups", version);
    private TimestampedKeyValueStore<String, String> store;

    private static MockProcessorContext<Object, Object> context() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "table-lookup-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new MockProcessorContext<>(props);
    }

    @BeforeEach
    void storeAndLookup() {
        store = Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore("groups"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        lookup.init(context);
    }

    /** What TableUpdates does with a record of the table's topic. */
    private void tableHas(String key, String value) {
        store.put(key, value == null ? null : ValueAndTimestamp.make(value, 0L));
        version.changed();
    }

    @Test
    void aChangeTheTableCountsIsSeenByTheNextLookup() {
        tableHas("alice", "engineering");
        assertThat(lookup.get("alice")).isEqualTo("engineering");
        tableHas("alice", "management");
        assertThat(lookup.get("alice")).isEqualTo("management");
        tableHas("alice", null);
        assertThat(lookup.get("alice")).isNull();
        tableHas("alice", "sales");
        assertThat(lookup.get("alice")).isEqualTo("sales");
    }

    @Test
    void betweenChangesAKeyIsReadFromTheStoreOnceWhetherItHasAnEntryOrNot() {
        tableHas("alice", "engineering");
        assertThat(lookup.get("alice")).isEqualTo("engineering");
        assertThat(lookup.get("mallory")).isNull();
        // written past TableUpdates, so that what is remembered shows
        store.put("alice", ValueAndTimestamp.make("management", 0L));
        store.put("mallory", ValueAndTimestamp.make("sales", 0L));
        assertThat(lookup.get("alice")).isEqualTo("engineering");
        assertThat(lookup.get("mallory")).isNull();
    }

    @Test
    void pastItsBoundOfKeysItForgetsAndReadsTheStoreAgain() {
        tableHas("alice", "engineering");
        assertThat(lookup.get("alice")).isEqualTo("engineering");
        store.put("alice", ValueAndTimestamp.make("management", 0L));
        // a client that sends a new user id on every request
        for (int i = 0; i < TableLookup.MAX_REMEMBERED; i++) {
            assertThat(lookup.get("user-" + i)).isNull();
        }
        assertThat(lookup.get("alice")).isEqualTo("management");
    }

    @Test
    void aKeyLongerThanItKeepsIsReadFromTheStoreEveryTime() {
        String huge = "u".repeat(TableLookup.MAX_REMEMBERED_KEY_CHARS + 1);
        tableHas(huge, "engineering");
        assertThat(lookup.get(huge)).isEqualTo("engineering");
        store.put(huge, ValueAndTimestamp.make("management", 0L));
        assertThat(lookup.get(huge)).isEqualTo("management");
    }
}
