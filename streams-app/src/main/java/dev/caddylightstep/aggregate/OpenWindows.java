package dev.caddylightstep.aggregate;

import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * What a task keeps for each window still open, by the window's start, until it is forgotten. Most of a task's requests
 * fall in the newest window, or in the one they fell in before them: that one is at hand without a lookup of its start
 * (a boxed long in a tree, for every request). Not thread-safe; one per processor.
 *
 * @param <V> what is kept for one window
 */
public final class OpenWindows<V> {
    private final TreeMap<Long, V> byStart = new TreeMap<>();
    private final Supplier<V> empty;
    /** The window of the last lookup, null once it is forgotten. */
    private long lastStart;
    private V last;

    /** @param empty what a window starts with */
    public OpenWindows(Supplier<V> empty) {
        this.empty = empty;
    }

    /** What is kept for the window starting at {@code windowStart}, empty the first time. */
    public V of(long windowStart) {
        if (last != null && lastStart == windowStart) {
            return last;
        }
        V window = byStart.computeIfAbsent(windowStart, start -> empty.get());
        lastStart = windowStart;
        last = window;
        return window;
    }

    /** Forgets the windows that start at or before {@code start}. */
    public void forgetThrough(long start) {
        if (byStart.isEmpty() || byStart.firstKey() > start) {
            return;
        }
        byStart.headMap(start, true).clear();
        if (last != null && lastStart <= start) {
            last = null;
        }
    }
}
