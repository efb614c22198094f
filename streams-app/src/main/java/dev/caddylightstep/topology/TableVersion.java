package dev.caddylightstep.topology;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many times a global table's store has changed, counted by {@link TableUpdates} once the store has the change, so
 * that a {@link TableLookup} knows what it remembers may be out of date. One per table and topology: instances built
 * from the same topology share it, which makes each forget more often than it must, never less.
 */
final class TableVersion {
    private final AtomicLong changes = new AtomicLong();

    void changed() {
        changes.incrementAndGet();
    }

    long current() {
        return changes.get();
    }
}
