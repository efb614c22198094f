package dev.caddylightstep.aggregate;

import java.util.Map;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A state store that holds nothing and runs its processor's action when Kafka Streams prepares the task's commit: after
 * the task's last record, before its records are flushed and its offsets committed in the transaction. What the action
 * writes to a logged store without a record cache is in the same transaction as the input that made it (a cached store's
 * own flush may already have run in that commit).
 *
 * <p>Kafka Streams has no public hook there ({@link StateStore#commit} runs once the transaction has committed), so this
 * store takes the one its own record caches have: in Kafka Streams 4.4, {@code StreamTask.prepareCommit} flushes the
 * task's stores that are an internal {@link CachedStateStore} first. Held to it by {@code AggregateStageTest}'s
 * {@code eachCommitWritesThePartialWindowsItsRequestsChangedToTheirChangelog}, which fails if an upgrade moves that call.
 * Public because the spans' batches go out before each commit too, and are saved in it the same way.
 */
public final class BeforeCommit implements StateStore, CachedStateStore<Void, Void> {
    private static final Runnable NOTHING = () -> {
    };

    private final String name;
    private Runnable action = NOTHING;
    private boolean open;

    private BeforeCommit(String name) {
        this.name = name;
    }

    /** Runs {@code action} before each commit of the task, in place of what was registered before (a revived task's processor registers again). */
    public void run(Runnable action) {
        this.action = action;
    }

    @Override
    public void flushCache() {
        action.run();
    }

    @Override
    public void clearCache() {
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Void, Void> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            throw new IllegalStateException(name + " has no changelog to restore from");
        });
        open = true;
    }

    @Override
    public void close() {
        action = NOTHING;
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    public static StoreBuilder<BeforeCommit> builder(String name) {
        return new Builder(name);
    }

    /** Neither cached nor logged, whatever it is asked: it has no data. */
    private record Builder(String name) implements StoreBuilder<BeforeCommit> {
        @Override
        public StoreBuilder<BeforeCommit> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<BeforeCommit> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<BeforeCommit> withLoggingEnabled(Map<String, String> config) {
            return this;
        }

        @Override
        public StoreBuilder<BeforeCommit> withLoggingDisabled() {
            return this;
        }

        @Override
        public BeforeCommit build() {
            return new BeforeCommit(name);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }
    }
}
