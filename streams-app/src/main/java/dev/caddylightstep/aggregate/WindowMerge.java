package dev.caddylightstep.aggregate;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The second half of the latency windows, in the task of the group: the partial windows of every task merge
 * into the group's window and its route's window, kept for caddy.window.retention of log time and written to
 * the aggregate topics: as they fill (updates), or once when they close (final; a partial that comes after
 * its window was written rewrites it, so that the latest value of a window is always its whole count).
 * Partials are never dropped here: lateness was decided per request, where the request was read. A group's window is
 * written after the last of its route partials from one flush of a task (a header on every partial says whether it is
 * the last or more follow), not after each of them: most groups have dozens of routes, and a group's window holds all
 * their bins.
 */
final class WindowMerge implements Processor<String, LatencyWindow, WindowKey, LatencyWindow> {
    private static final String STREAM_TIME = "merge-stream-time";
    /** The header mergers look for since the group's window is written once per flush: a newer one must not confuse them. */
    private static final String LAST_OF_GROUP_WINDOW = "caddy.partial.last-of-group-window";
    private static final String MORE_OF_GROUP_WINDOW = "caddy.partial.more-of-group-window";

    private final String groupStore;
    private final String routeStore;
    private final String streamTimeStore;
    private final WindowSettings windows;
    private final long sizeMs;
    private final long graceMs;
    private final long retentionMs;
    private ProcessorContext<WindowKey, LatencyWindow> context;
    private KeyValueStore<String, LatencyWindow> groups;
    private KeyValueStore<String, LatencyWindow> routes;
    private KeyValueStore<String, Long> streamTimes;
    private long streamTime = Long.MIN_VALUE;

    WindowMerge(String groupStore, String routeStore, String streamTimeStore, WindowSettings windows) {
        this.groupStore = groupStore;
        this.routeStore = routeStore;
        this.streamTimeStore = streamTimeStore;
        this.windows = windows;
        this.sizeMs = windows.size().toMillis();
        this.graceMs = windows.grace().toMillis();
        this.retentionMs = windows.retention().toMillis();
    }

    @Override
    public void init(ProcessorContext<WindowKey, LatencyWindow> context) {
        this.context = context;
        this.groups = context.getStateStore(groupStore);
        this.routes = context.getStateStore(routeStore);
        this.streamTimes = context.getStateStore(streamTimeStore);
        // as the stores, from the last commit: a revived task's processor is initialized again
        Long stored = streamTimes.get(STREAM_TIME);
        streamTime = stored != null ? stored : Long.MIN_VALUE;
    }

    @Override
    public void process(Record<String, LatencyWindow> record) {
        WindowKey routeKey = WindowKey.decode(record.key());
        WindowKey groupKey = routeKey.groupWindow();
        LatencyWindow route = merge(routes, routeKey, record.value());
        LatencyWindow group = merge(groups, groupKey, record.value());
        boolean closed = routeKey.windowStart() + sizeMs + graceMs <= streamTime;
        if (windows.emit() == WindowSettings.EmitMode.UPDATES || closed) {
            write(routeKey, route);
            if (endsGroupWindow(record.headers())) {
                write(groupKey, group);
            }
        }
        advance(record.timestamp());
    }

    /** The headers of a partial: whether it is the last of its group's window in this flush of its task. */
    static Headers partialHeaders(boolean lastOfGroupWindow) {
        return new RecordHeaders().add(lastOfGroupWindow ? LAST_OF_GROUP_WINDOW : MORE_OF_GROUP_WINDOW, new byte[0]);
    }

    /**
     * Only a partial that says more follow leaves its group's window unwritten: one that says nothing comes from an
     * instance of an earlier version, which wrote the group's window after every partial or marked only the last, and
     * during a rolling upgrade nothing else would write a window that only such instances fed.
     */
    private static boolean endsGroupWindow(Headers headers) {
        return headers.lastHeader(MORE_OF_GROUP_WINDOW) == null;
    }

    private LatencyWindow merge(KeyValueStore<String, LatencyWindow> store, WindowKey key, LatencyWindow partial) {
        String encoded = key.encode();
        LatencyWindow window = store.get(encoded);
        window = window == null ? partial : window.merge(partial, windows.exemplars());
        store.put(encoded, window);
        return window;
    }

    private void write(WindowKey key, LatencyWindow window) {
        context.forward(new Record<>(key, window, key.windowStart()));
    }

    /** Once another window closes: in final mode, write the windows that just closed; drop windows past retention. */
    private void advance(long timestamp) {
        if (timestamp <= streamTime) {
            return;
        }
        long before = streamTime;
        streamTime = timestamp;
        if (before != Long.MIN_VALUE && Math.floorDiv(before - graceMs, sizeMs) == Math.floorDiv(streamTime - graceMs, sizeMs)) {
            return;
        }
        streamTimes.put(STREAM_TIME, streamTime);
        for (KeyValueStore<String, LatencyWindow> store : List.of(routes, groups)) {
            for (KeyValue<String, LatencyWindow> entry : all(store)) {
                WindowKey key = WindowKey.decode(entry.key);
                long closesAt = key.windowStart() + sizeMs + graceMs;
                if (windows.emit() == WindowSettings.EmitMode.FINAL && closesAt > before && closesAt <= streamTime) {
                    write(key, entry.value);
                }
                if (key.windowStart() + retentionMs <= streamTime) {
                    store.delete(entry.key);
                }
            }
        }
    }

    private static List<KeyValue<String, LatencyWindow>> all(KeyValueStore<String, LatencyWindow> store) {
        List<KeyValue<String, LatencyWindow>> all = new ArrayList<>();
        try (KeyValueIterator<String, LatencyWindow> iterator = store.all()) {
            iterator.forEachRemaining(all::add);
        }
        return all;
    }
}
