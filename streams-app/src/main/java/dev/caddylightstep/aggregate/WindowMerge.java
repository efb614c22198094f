package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second half of the latency windows, in the task of the group: the partial windows of every task merge
 * into the group's window and its route's window, kept for caddy.window.retention of log time and written to
 * the aggregate topics: as they fill (updates), or once when they close (final; a partial that comes after
 * its window was written rewrites it, so that the latest value of a window is always its whole count).
 * Lateness was decided per request, where the request was read; a partial that comes after its window was purged
 * (a partition that lagged through an outage) is dead-lettered as late here, as it would otherwise be written alone
 * over the whole window on the compacted topic. A group's window holds at most caddy.window.max-routes route windows:
 * the partials of a route past them merge under {@link WindowSettings#OTHER_ROUTE}. Likewise a window holds at most
 * caddy.stage.max-server-timings of the backend's stage names, whichever tasks' partials brought them ({@link LatencyWindow}).
 *
 * <p>A group's window is written after the last of its route partials from one flush of a task (a header on every
 * partial says whether it is the last or more follow), not after each of them: most groups have dozens of routes,
 * and a group's window holds all their bins.
 */
final class WindowMerge implements Processor<String, LatencyWindow, WindowKey, WindowMerge.Output> {
    static final String STREAM_TIME = "merge-stream-time";
    /** The header mergers look for since the group's window is written once per flush: a newer one must not confuse them. */
    private static final String LAST_OF_GROUP_WINDOW = "caddy.partial.last-of-group-window";
    private static final String MORE_OF_GROUP_WINDOW = "caddy.partial.more-of-group-window";
    /** Which task sent a partial, and the log time that task last told (in a tick) before it. */
    private static final String SOURCE = "caddy.partial.source";
    static final String SOURCE_TIME = "caddy.partial.source-time";
    private static final String SOURCE_TIME_KEY = "source-time ";
    /**
     * A task whose time stood still this long (no requests on its partitions), or that has had no time this long since
     * it first ticked, no longer holds the time back; one silent this long that holds back no one is forgotten. Longer
     * when the tasks commit (and so tick) less often than every 10 s: three of their ticks ({@link #silenceMs}).
     */
    static final long SOURCE_SILENCE_MS = 30_000;
    /**
     * The longest a silent task (heard before, or never) holds the time back while fewer tasks run than feed this one:
     * it is between instances. The group gives a dead member's tasks to another once its session times out (45 s by
     * Kafka's default, longer with static membership), then their stores are restored; a member whose thread stopped
     * polling leaves after max.poll.interval.ms (5 minutes by default). Closed on the other tasks' time alone, the
     * windows would lack its requests, and the alerts they decide would be decided without them.
     */
    static final long TAKEOVER_MS = 5 * 60_000;
    /**
     * The key of a tick: each task that makes partials sends one to every merging task about once a second, partials or
     * not, so that each merging task knows every task that feeds it, and its time, before that task's first partial.
     */
    static final String TICK_KEY = "\u0000tick";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(WindowMerge.class);

    private final String groupStore;
    private final String routeStore;
    private final String streamTimeStore;
    private final String routeCountStore;
    private final WindowSettings windows;
    private final StageSettings stages;
    private final long sizeMs;
    private final long retentionMs;
    private ProcessorContext<WindowKey, Output> context;
    private KeyValueStore<String, LatencyWindow> groups;
    private KeyValueStore<String, LatencyWindow> routes;
    private KeyValueStore<String, Long> streamTimes;
    /** The routes each group window holds, by the group window's key: read when a partial brings a new route. */
    private KeyValueStore<String, Long> routeCounts;
    /**
     * The log time that closes and purges windows here, from the partials' record times: robust like each task's (a
     * task's first partials carry their window's end, which a few skewed lines put ahead of the rest).
     */
    private final LogClock clock = new LogClock();
    private long streamTime = Long.MIN_VALUE;
    /**
     * The log time of each task that sends partials here, and when (on the clock of {@link #readMs}) it was last heard,
     * first heard and last moved ({@link #HEARD}, {@link #FIRST_HEARD}, {@link #MOVED}). This task's time is the
     * least of theirs: a task replaying hours of backlog faster than another must not close and purge the windows the
     * other is still filling (their partials would all be late). Kept in the stream-time store, so that a restart
     * does not run ahead of a task it has not heard from yet.
     */
    private final Map<String, long[]> sources = new HashMap<>();
    /** The silent tasks this task said in the log it holds the windows for. */
    private final Set<String> heldFor = new HashSet<>();
    private static final int TIME = 0;
    private static final int HEARD = 1;
    private static final int FIRST_HEARD = 2;
    private static final int MOVED = 3;
    /** How many tasks send partials here (0: not known), and whether each was heard since init, or waited for long enough. */
    private final int feeders;
    private boolean assembled;
    private long initMs;
    /**
     * The clock silences are judged on ({@link #read}): the wall clock while this task reads, but a pause between two of
     * its records counts as readGapMs (two ticks) at most. Every running task ticks at each commit, so a longer pause is
     * this task not reading (its thread restoring other tasks after a rebalance, a stall) or every task quiet:
     * the tasks it did not hear from meanwhile were not silent, it did not listen.
     */
    private long readMs;
    private long lastReadWallMs;
    /** How often a running task ticks: at each commit, at most once a second. */
    private long tickSpacingMs;
    private long readGapMs;
    private long silenceMs;

    /**
     * What leaves the merge: a window to write, the dead letter of a partial that came after its window was purged, or
     * the windows that just closed.
     */
    record Output(LatencyWindow window, byte[] latePartial, ClosedWindows closed) {
    }

    WindowMerge(String groupStore, String routeStore, String streamTimeStore, String routeCountStore, WindowSettings windows,
                StageSettings stages, int feeders) {
        this.feeders = feeders;
        this.groupStore = groupStore;
        this.routeStore = routeStore;
        this.streamTimeStore = streamTimeStore;
        this.routeCountStore = routeCountStore;
        this.windows = windows;
        this.stages = stages;
        this.sizeMs = windows.size().toMillis();
        this.retentionMs = windows.retention().toMillis();
    }

    @Override
    public void init(ProcessorContext<WindowKey, Output> context) {
        this.context = context;
        this.groups = context.getStateStore(groupStore);
        this.routes = context.getStateStore(routeStore);
        this.streamTimes = context.getStateStore(streamTimeStore);
        this.routeCounts = context.getStateStore(routeCountStore);
        // as the stores, from the last commit: a revived task's processor is initialized again
        Long stored = streamTimes.get(STREAM_TIME);
        streamTime = stored != null ? stored : Long.MIN_VALUE;
        clock.restore(streamTime);
        long now = context.currentSystemTimeMs();
        readMs = now;
        lastReadWallMs = now;
        long commitIntervalMs = Long.parseLong(String.valueOf(context.appConfigs().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)));
        tickSpacingMs = Math.max(commitIntervalMs, PartialWindows.TICK_INTERVAL_MS);
        readGapMs = 2 * tickSpacingMs;
        silenceMs = Math.max(SOURCE_SILENCE_MS, 3 * tickSpacingMs);
        initMs = now;
        assembled = false;
        sources.clear();
        heldFor.clear();
        try (KeyValueIterator<String, Long> saved = streamTimes.prefixScan(SOURCE_TIME_KEY, new StringSerializer())) {
            saved.forEachRemaining(entry -> sources.put(entry.key.substring(SOURCE_TIME_KEY.length()), new long[] {entry.value, now, now, now}));
        }
    }

    @Override
    public void process(Record<String, LatencyWindow> record) {
        try {
            merge(record);
        } catch (Throwable t) {
            throw RecordFailure.of("merge", t);
        }
    }

    private void merge(Record<String, LatencyWindow> record) {
        read();
        observeSource(record.headers());
        if (record.key().equals(TICK_KEY)) {
            advance();
            return;
        }
        clock.observe(record.timestamp());
        WindowKey partialKey = WindowKey.decode(record.key());
        if (partialKey.windowStart() + retentionMs <= streamTime) {
            late(record, partialKey);
            return;
        }
        WindowKey groupKey = partialKey.groupWindow();
        String encodedRoute = partialKey.encode();
        LatencyWindow route = routes.get(encodedRoute);
        WindowKey routeKey = partialKey;
        if (route == null && !admitsRoute(groupKey, partialKey.route())) {
            routeKey = new WindowKey(partialKey.group(), WindowSettings.OTHER_ROUTE, partialKey.windowStart());
            encodedRoute = routeKey.encode();
            route = routes.get(encodedRoute);
        }
        route = merged(routes, encodedRoute, route, record.value());
        LatencyWindow group = merged(groups, groupKey.encode(), groups.get(groupKey.encode()), record.value());
        if (windows.closesAt(groupKey.windowStart()) <= streamTime) {
            // its group's window closed without it: the burn rates still count its requests
            LatencyAggregateRecord late = record.value().toRecord(groupKey.group(), null, groupKey.windowStart(), groupKey.windowStart() + sizeMs);
            context.forward(new Record<WindowKey, Output>(null, new Output(null, null,
                    new ClosedWindows(streamTime, List.of(), List.of(), List.of(late))), streamTime));
        }
        boolean closed = windows.closesAt(routeKey.windowStart()) <= streamTime;
        if (windows.emit() == WindowSettings.EmitMode.UPDATES || closed) {
            write(routeKey, route);
            if (endsGroupWindow(record.headers())) {
                write(groupKey, group);
            }
        }
        advance();
    }

    /** Whether a route new to its group's window gets a window of its own; counted when it does. */
    private boolean admitsRoute(WindowKey groupKey, String route) {
        if (route.equals(WindowSettings.OTHER_ROUTE)) {
            return true;
        }
        String key = groupKey.encode();
        Long count = routeCounts.get(key);
        long held = count == null ? 0 : count;
        if (held >= windows.maxRoutes()) {
            return false;
        }
        routeCounts.put(key, held + 1);
        return true;
    }

    /**
     * The headers of a partial: whether it is the last of its group's window in this flush of its task, which task sent
     * it, and that task's log time (Long.MIN_VALUE while it has none).
     */
    static Headers partialHeaders(boolean lastOfGroupWindow, String source, long sourceTime) {
        return new RecordHeaders().add(lastOfGroupWindow ? LAST_OF_GROUP_WINDOW : MORE_OF_GROUP_WINDOW, new byte[0])
                .add(SOURCE, source.getBytes(StandardCharsets.UTF_8))
                .add(SOURCE_TIME, ByteBuffer.allocate(Long.BYTES).putLong(sourceTime).array());
    }

    private void read() {
        long now = context.currentSystemTimeMs();
        readMs += Math.max(0, Math.min(now - lastReadWallMs, readGapMs));
        lastReadWallMs = now;
    }

    /** Notes the sending task's log time; a partial of an earlier version's instance says none. */
    private void observeSource(Headers headers) {
        Header source = headers.lastHeader(SOURCE);
        Header time = headers.lastHeader(SOURCE_TIME);
        if (source == null || time == null || time.value().length != Long.BYTES) {
            return;
        }
        long sourceTime = ByteBuffer.wrap(time.value()).getLong();
        String task = new String(source.value(), StandardCharsets.UTF_8);
        long now = readMs;
        long[] known = sources.computeIfAbsent(task, t -> new long[] {Long.MIN_VALUE, now, now, now});
        if (!running(known, now)) {
            // running again (after a stall, or on another instance after its own died): the time it was silent is not
            // time it stood still, and it replays from its last commit, at or before the time it had told
            long silent = now - known[HEARD];
            known[FIRST_HEARD] += silent;
            known[MOVED] += silent;
        }
        if (sourceTime > known[TIME]) {
            known[TIME] = sourceTime;
            known[MOVED] = now;
        }
        known[HEARD] = now;
    }

    /**
     * This task's log time: the least of the times of the tasks that hold it back ({@link #holdsBack}), once any does;
     * once every task's time stands still, the latest of their times ({@link #standingStillTime}); otherwise (an earlier
     * version's instances, which tell no time) the robust time of the partials' record times. Never ahead of the wall
     * clock.
     */
    private long time() {
        long now = readMs;
        if (!assembled()) {
            return Long.MIN_VALUE;
        }
        boolean taskBetweenInstances = taskBetweenInstances(now);
        long least = Long.MAX_VALUE;
        for (Map.Entry<String, long[]> entry : sources.entrySet()) {
            long[] source = entry.getValue();
            boolean holds = holdsBack(source, now, taskBetweenInstances);
            if (holds) {
                least = Math.min(least, source[TIME]);
            }
            tellHold(entry.getKey(), source, now, holds);
        }
        if (least == Long.MAX_VALUE) {
            least = standingStillTime(now);
        }
        long wallMs = context.currentSystemTimeMs();
        return least == Long.MAX_VALUE ? clock.time(wallMs) : Math.min(least, wallMs);
    }

    /**
     * Once the lines stopped (a log read to its end, traffic gone quiet), the latest time of the tasks heard lately. Each
     * stopped holding the windows back once its own time had stood still for silenceMs, the last of them at its own
     * time: that is where this task's time got to, and it gets there whether or not this task read in the moments when
     * only that one held (a tick missed them when two tasks stopped a second apart). The partials' robust record time
     * trails by some windows (a partial carries its window's end), and would leave the last windows of a short log open.
     */
    private long standingStillTime(long now) {
        return sources.values().stream().filter(source -> source[TIME] != Long.MIN_VALUE && heardLately(source, now))
                .mapToLong(source -> source[TIME]).max().orElse(Long.MAX_VALUE);
    }

    /**
     * Says in the log once a task silent for longer than an idle one may be holds the windows (the operator sees why
     * they stay open after an instance died), once it runs again, and once this task stops waiting for it.
     */
    private void tellHold(String task, long[] source, long now, boolean holds) {
        boolean silent = !heardLately(source, now);
        if (holds && silent && heldFor.add(task)) {
            LOG.info("merging task {} holds its windows at {} for task {}, silent for {} s: its instance is gone or stalled, and the"
                    + " group gives its tasks to another member after session.timeout.ms; it holds them {} s at most", context.taskId(),
                    source[TIME] == Long.MIN_VALUE ? "the start (it had no time yet)" : Instant.ofEpochMilli(source[TIME]), task,
                    (now - source[HEARD]) / 1_000, TAKEOVER_MS / 1_000);
        } else if ((!silent || !holds) && heldFor.remove(task)) {
            if (silent) {
                LOG.warn("merging task {} closes its windows without task {}, silent for {} s: what that task sends for them counts"
                        + " late into the burn rates, or is dead-lettered as late once they are purged", context.taskId(), task,
                        (now - source[HEARD]) / 1_000);
            } else {
                LOG.info("merging task {}: task {} runs again", context.taskId(), task);
            }
        }
    }

    /**
     * Whether a task holds this task's time back. One running does while its time moved lately: a task with no time
     * yet (fewer lines than its clock needs) for silenceMs after it first ticked, as it may be about to send the
     * oldest partials of all; a task whose time stood still that long (idle partitions) holds back no one, or one idle
     * partition would keep every window open. A silent one does as it did when last heard, at the time it told then,
     * for TAKEOVER_MS at most, while fewer tasks run than feed this one: it is between instances, or its thread stalls.
     */
    private boolean holdsBack(long[] source, long now, boolean taskBetweenInstances) {
        long moved = source[TIME] == Long.MIN_VALUE ? source[FIRST_HEARD] : source[MOVED];
        if (running(source, now)) {
            return withinSilence(now, moved);
        }
        return taskBetweenInstances && withinSilence(source[HEARD], moved) && now - source[HEARD] <= TAKEOVER_MS;
    }

    /** Whether fewer tasks run than feed this one (0 when not known: never). */
    private boolean taskBetweenInstances(long now) {
        int running = 0;
        for (long[] source : sources.values()) {
            if (running(source, now)) {
                running++;
            }
        }
        return running < feeders;
    }

    /** Whether a task was heard within three of its ticks. */
    private boolean running(long[] source, long now) {
        return now - source[HEARD] <= 3 * tickSpacingMs;
    }

    private boolean heardLately(long[] source, long now) {
        return withinSilence(now, source[HEARD]);
    }

    private boolean withinSilence(long now, long then) {
        return now - then <= silenceMs;
    }

    /**
     * Whether every task that makes partials has been heard since this task started (or restored from the store), or
     * TAKEOVER_MS has passed: a task never heard is not running anywhere yet (its instance starting, or dead before its
     * first commit and its tasks not yet given to another). Until then the tasks heard first (the first of an
     * instance's stream threads to run, or an instance that started before the others) are not all there is: a window
     * closed on their time alone would lack the requests of the rest, counted late into the burn rates after the alerts
     * were decided.
     */
    private boolean assembled() {
        if (!assembled) {
            assembled = sources.size() >= feeders || readMs - initMs > TAKEOVER_MS;
            if (assembled && sources.size() < feeders) {
                LOG.warn("merging task {} heard {} of the {} tasks that feed it in {} s: it closes its windows on their time, and"
                        + " what the others send for them counts late", context.taskId(), sources.size(), feeders, TAKEOVER_MS / 1_000);
            }
        }
        return assembled;
    }

    /**
     * Only a partial that says more follow leaves its group's window unwritten: one that says nothing comes from an
     * instance of an earlier version, which wrote the group's window after every partial or marked only the last, and
     * during a rolling upgrade nothing else would write a window that only such instances fed.
     */
    private static boolean endsGroupWindow(Headers headers) {
        return headers.lastHeader(MORE_OF_GROUP_WINDOW) == null;
    }

    private LatencyWindow merged(KeyValueStore<String, LatencyWindow> store, String key, LatencyWindow window, LatencyWindow partial) {
        LatencyWindow merged = window == null ? partial : window.merge(partial, windows.exemplars(), stages.maxServerTimings());
        store.put(key, merged);
        return merged;
    }

    private void write(WindowKey key, LatencyWindow window) {
        context.forward(new Record<>(key, new Output(window, null, null), key.windowStart()));
    }

    /** Drops a silent task's saved time; true, for removeIf. */
    private boolean forget(String task) {
        streamTimes.delete(SOURCE_TIME_KEY + task);
        return true;
    }

    /** A partial for a window already purged: written, it would replace the whole window on the compacted topic. */
    private void late(Record<String, LatencyWindow> record, WindowKey key) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String detail = "partial window of " + record.value().count() + " requests for window [" + key.windowStart() + ", "
                + (key.windowStart() + sizeMs) + "), purged when the merge's log time reached " + (key.windowStart() + retentionMs)
                + " (now " + streamTime + ")";
        Headers headers = DeadLetterHeaders.of(DeadLetterReason.LATE.code(), "merge", detail,
                source == null ? null : source.topic(), source == null ? -1 : source.partition(), source == null ? -1 : source.offset());
        context.forward(new Record<>(key, new Output(null, describe(key, record.value()), null), record.timestamp(), headers));
    }

    /** The dead letter of a late partial: its window, how many requests it held, and the traces of the slowest. */
    private static byte[] describe(WindowKey key, LatencyWindow partial) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("group", key.group());
        fields.put("route", key.route());
        fields.put("window_start_ms", key.windowStart());
        fields.put("requests", partial.count());
        fields.put("errors", partial.errors);
        fields.put("trace_ids", partial.exemplars.stream().map(Exemplar::getTraceId).toList());
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers is always JSON", e);
        }
    }

    /** Once another window closes: in final mode, write the windows that just closed; drop windows past retention. */
    private void advance() {
        long time = time();
        if (time <= streamTime) {
            return;
        }
        long before = streamTime;
        streamTime = time;
        if (before != Long.MIN_VALUE && windows.lastClosedWindow(before) == windows.lastClosedWindow(streamTime)) {
            return;
        }
        streamTimes.put(STREAM_TIME, streamTime);
        long now = readMs;
        boolean taskBetweenInstances = taskBetweenInstances(now);
        sources.entrySet().removeIf(source -> !heardLately(source.getValue(), now) && !holdsBack(source.getValue(), now, taskBetweenInstances)
                && forget(source.getKey()));
        sources.forEach((task, source) -> {
            if (source[TIME] != Long.MIN_VALUE) {
                streamTimes.put(SOURCE_TIME_KEY + task, source[TIME]);
            }
        });
        List<LatencyAggregateRecord> closedGroups = new ArrayList<>();
        List<LatencyAggregateRecord> closedRoutes = new ArrayList<>();
        for (KeyValueStore<String, LatencyWindow> store : List.of(routes, groups)) {
            List<String> purged = new ArrayList<>();
            try (KeyValueIterator<String, LatencyWindow> all = store.all()) {
                while (all.hasNext()) {
                    KeyValue<String, LatencyWindow> entry = all.next();
                    WindowKey key = WindowKey.decode(entry.key);
                    long closesAt = windows.closesAt(key.windowStart());
                    boolean closesNow = closesAt > before && closesAt <= streamTime;
                    if (windows.emit() == WindowSettings.EmitMode.FINAL && closesNow) {
                        write(key, entry.value);
                    }
                    if (closesNow) {
                        (store == groups ? closedGroups : closedRoutes)
                                .add(entry.value.toRecord(key.group(), key.route(), key.windowStart(), key.windowStart() + sizeMs));
                    }
                    if (key.windowStart() + retentionMs <= streamTime) {
                        purged.add(entry.key);
                    }
                }
            }
            // deleted after the scan, not during it: the store's record cache may not be changed under its iterator
            purged.forEach(store::delete);
            if (store == groups) {
                purged.forEach(routeCounts::delete);
            }
        }
        // a route window closes with its group's, which every partial of the route merged into too
        if (!closedGroups.isEmpty()) {
            closedGroups.sort(Comparator.comparingLong(LatencyAggregateRecord::getWindowStartMs));
            closedRoutes.sort(Comparator.comparingLong(LatencyAggregateRecord::getWindowStartMs));
            ClosedWindows closed = new ClosedWindows(streamTime, closedGroups, closedRoutes, List.of());
            context.forward(new Record<WindowKey, Output>(null, new Output(null, null, closed), streamTime));
        }
    }
}
