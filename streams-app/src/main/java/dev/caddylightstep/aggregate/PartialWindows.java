package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.policy.EnrichedRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The first half of the latency windows, in the task that enriched the request: each request joins the
 * partial window of its group, route and window, and the partials go out (to the task of their group) just before
 * the task commits, so that the commit which makes a request's span readable also makes its partial readable to the
 * group's task. A request crosses no topic on its way to its window; only a few partials per group, route and
 * commit do.
 *
 * <p>Exact under exactly-once: when the task commits, each partial window changed since its last commit is written
 * to the store (and its changelog) in that commit's transaction, and a partial is in the store until it is sent;
 * sending it and removing it happen in one transaction. Written at commit rather than on every request, a window is
 * encoded once a commit instead of once a request (11% of the stream threads' samples in bench). A line logged after
 * its window closed (window end + grace at or before this task's {@link LogClock}) is dead-lettered here, with
 * its trace id, never dropped.
 */
public final class PartialWindows {
    static final String STREAM_TIME = "stream-time";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String partialsStore;
    private final String streamTimeStore;
    private final String beforeCommitStore;
    private final WindowSettings windows;
    private final StageSettings stages;
    private final long sizeMs;
    private ProcessorContext<?, ?> context;
    private Outlet outlet;
    /** The partial windows as of the last commit. */
    private KeyValueStore<String, LatencyWindow> partials;
    /** The partial windows as they are now: what the store holds, and what came since the last commit. */
    private final Map<WindowKey, Open> open = new HashMap<>();
    private KeyValueStore<String, Long> streamTimes;
    /** The log time that decides lateness here, and the last value of it saved to the store. */
    private final LogClock clock = new LogClock();
    private long streamTime = Long.MIN_VALUE;
    private long saved = Long.MIN_VALUE;
    /** About how often this task tells every merging task its time ({@link WindowMerge#TICK_KEY}), in wall-clock ms. */
    static final long TICK_INTERVAL_MS = 1_000;
    private long lastTickMs = Long.MIN_VALUE / 2;
    /** The time this task last told the merging tasks in a tick; none yet after a start. */
    private long announced = Long.MIN_VALUE;
    /** Sends the partials at the last look before each commit, and saves what came after it in the commit. */
    private final CommitLooks commits = new CommitLooks(this::flush, this::beforeCommit);

    /** A partial window in memory, and its key as the store and the repartition topic have it (encoded once, not per request). */
    private static final class Open {
        final String key;
        final LatencyWindow window;
        /** Requests joined it since it was last written to the store. */
        boolean changed;
        /** The store holds a state of it, which must go when it is sent. */
        boolean stored;

        Open(String key, LatencyWindow window) {
            this.key = key;
            this.window = window;
        }
    }

    /** Where what this stage makes goes: the partial windows to their group's task, the late lines to the dead-letter topic. */
    public interface Outlet {
        void partial(Record<String, LatencyWindow> partial);

        void lateLine(Record<byte[], byte[]> deadLetter);
    }

    PartialWindows(String partialsStore, String streamTimeStore, String beforeCommitStore, WindowSettings windows, StageSettings stages) {
        this.partialsStore = partialsStore;
        this.streamTimeStore = streamTimeStore;
        this.beforeCommitStore = beforeCommitStore;
        this.windows = windows;
        this.stages = stages;
        this.sizeMs = windows.size().toMillis();
    }

    /** Called from the init of the processor it runs in, which also holds its stores ({@link AggregateStage#partialStores}). */
    public void init(ProcessorContext<?, ?> context, Outlet outlet) {
        this.context = context;
        this.outlet = outlet;
        this.partials = context.getStateStore(partialsStore);
        this.streamTimes = context.getStateStore(streamTimeStore);
        // Kafka Streams initializes the same processor again when it revives a task after an aborted transaction, with
        // its stores restored to the last commit: what this instance held since then must go, or it would count twice
        open.clear();
        try (KeyValueIterator<String, LatencyWindow> restored = partials.all()) {
            restored.forEachRemaining(entry -> {
                Open partial = new Open(entry.key, entry.value);
                partial.stored = true;
                open.put(WindowKey.decode(entry.key), partial);
            });
        }
        Long stored = streamTimes.get(STREAM_TIME);
        streamTime = stored != null ? stored : Long.MIN_VALUE;
        clock.restore(streamTime);
        saved = streamTime;
        // likewise the time told in a tick since the last commit: the merging tasks never read it
        announced = Long.MIN_VALUE;
        lastTickMs = Long.MIN_VALUE / 2;
        commits.start(context, beforeCommitStore);
    }

    public void close() {
        commits.stop();
    }

    /** The request joins its partial window, or is a late line; {@code timestamp} is when Caddy logged it. */
    public void add(long timestamp, EnrichedRequest request) {
        advance(timestamp);
        long windowStart = timestamp - Math.floorMod(timestamp, sizeMs);
        LatencyObservation observation = LatencyObservation.of(request, stages);
        if (windows.closesAt(windowStart) <= streamTime) {
            late(timestamp, observation, windowStart);
            return;
        }
        Open partial = open.computeIfAbsent(new WindowKey(observation.group(), observation.route(), windowStart),
                key -> new Open(key.encode(), new LatencyWindow()));
        partial.window.add(observation, windows.exemplars(), stages.maxServerTimings());
        partial.changed = true;
    }

    /** Before the task commits: each partial window that changed since the last commit goes to the store, in this commit. */
    private void beforeCommit() {
        for (Open partial : open.values()) {
            if (partial.changed) {
                partials.put(partial.key, partial.window);
                partial.changed = false;
                partial.stored = true;
            }
        }
    }

    private void advance(long timestamp) {
        clock.observe(timestamp);
        long time = clock.time(context.currentSystemTimeMs());
        if (time <= streamTime) {
            return;
        }
        streamTime = time;
        // lateness only changes when another window closes: saving then, not on every request, keeps the
        // same decisions after a restart for a store write per window instead of one per request
        if (windows.lastClosedWindow(streamTime) != windows.lastClosedWindow(saved)) {
            streamTimes.put(STREAM_TIME, streamTime);
            saved = streamTime;
        }
    }

    /**
     * Sends every partial to its group's task and forgets it; the record time is the latest it may hold. Each partial
     * says whether it is the last of its group's window, so that the group's task writes that window once per flush of
     * this task rather than once for every route of the group.
     */
    private void flush() {
        Map<WindowKey, WindowKey> lastOfGroupWindow = new HashMap<>();
        // the map is not changed in between: both loops see its keys in the same order
        open.keySet().forEach(key -> lastOfGroupWindow.put(key.groupWindow(), key));
        Set<WindowKey> last = new HashSet<>(lastOfGroupWindow.values());
        for (Map.Entry<WindowKey, Open> entry : open.entrySet()) {
            long windowStart = entry.getKey().windowStart();
            // the record time moves the merging task's time: never past what this task's clock says, so that a window
            // a few skewed lines opened ahead of it does not carry their time on
            long timestamp = streamTime == Long.MIN_VALUE ? windowStart + sizeMs - 1 : Math.min(streamTime, windowStart + sizeMs - 1);
            // the time this task last told the merging tasks, not its time now: a flush after a long batch of backlog
            // holds windows an hour older than that, and a merging task that took the new time from the first of them
            // would purge the windows the rest are for
            Headers headers = WindowMerge.partialHeaders(last.contains(entry.getKey()), context.taskId().toString(), announced);
            Open partial = entry.getValue();
            outlet.partial(new Record<>(partial.key, partial.window, timestamp, headers));
            if (partial.stored) {
                partials.delete(partial.key);
            }
        }
        open.clear();
        // after the partials, on the same partitions: a merging task reads this time only once it has them all
        long now = context.currentSystemTimeMs();
        if (streamTime != announced || now - lastTickMs >= TICK_INTERVAL_MS) {
            lastTickMs = now;
            announced = streamTime;
            String task = context.taskId().toString();
            outlet.partial(new Record<>(WindowMerge.TICK_KEY, new LatencyWindow(),
                    streamTime == Long.MIN_VALUE ? now : streamTime, WindowMerge.partialHeaders(true, task, streamTime)));
        }
    }

    private void late(long timestamp, LatencyObservation o, long windowStart) {
        long windowEnd = windowStart + sizeMs;
        String detail = "logged at " + timestamp + " for window [" + windowStart + ", " + windowEnd + ")"
                + ", which closed when stream time reached " + windows.closesAt(windowStart) + " (now " + streamTime + ")";
        var source = context.recordMetadata().orElse(null);
        var headers = DeadLetterHeaders.of(DeadLetterReason.LATE.code(), "aggregate", detail,
                source == null ? null : source.topic(), source == null ? -1 : source.partition(), source == null ? -1 : source.offset());
        outlet.lateLine(new Record<>(o.group().getBytes(StandardCharsets.UTF_8), describe(o, timestamp), timestamp, headers));
    }

    /** The dead letter of a late request: what it was, enough to find its span. */
    private static byte[] describe(LatencyObservation o, long timestamp) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("group", o.group());
        fields.put("route", o.route());
        fields.put("ts_ms", timestamp);
        fields.put("status", o.status());
        fields.put("duration_ms", o.durationMillis());
        fields.put("trace_id", o.traceId());
        fields.put("span_id", o.spanId());
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers is always JSON", e);
        }
    }
}
