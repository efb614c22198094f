package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.policy.EnrichedRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The first half of the windows, as Kafka Streams drives one processor of a task through its life. */
class PartialWindowsTest {
    private static final String PARTIALS = "partials";
    private static final String STREAM_TIME = "stream-time";
    private static final String BEFORE_COMMIT = "before-commit";

    private static final long COMMIT_INTERVAL_MS = 1_000;

    private final MockProcessorContext<Object, Object> context = contextAtTimeZero();
    private final KeyValueStore<String, LatencyWindow> partials = store(PARTIALS, LatencyWindowSerde.create());
    private final KeyValueStore<String, Long> streamTimes = store(STREAM_TIME, Serdes.Long());
    private final BeforeCommit beforeCommit = beforeCommit();
    /** What the partial windows sent to their groups' tasks since the last look. */
    private final List<LatencyWindow> sent = new ArrayList<>();
    /** The time each of those partials (not the ticks) said its task had told the merging tasks. */
    private final List<Long> told = new ArrayList<>();
    private final PartialWindows.Outlet outlet = new PartialWindows.Outlet() {
        @Override
        public void partial(Record<String, LatencyWindow> partial) {
            sent.add(partial.value());
            if (!partial.key().equals(WindowMerge.TICK_KEY)) {
                told.add(ByteBuffer.wrap(partial.headers().lastHeader(WindowMerge.SOURCE_TIME).value()).getLong());
            }
        }

        @Override
        public void lateLine(Record<byte[], byte[]> deadLetter) {
            throw new AssertionError("no line of the capture is late");
        }
    };
    private final PartialWindows processor = new PartialWindows(PARTIALS, STREAM_TIME, BEFORE_COMMIT, WindowSettings.DEFAULTS,
            StageSettings.DEFAULTS);

    private static MockProcessorContext<Object, Object> contextAtTimeZero() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "partial-windows-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props);
        context.setCurrentSystemTimeMs(0);
        return context;
    }

    private <V> KeyValueStore<String, V> store(String name, Serde<V> values) {
        KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    private BeforeCommit beforeCommit() {
        BeforeCommit store = BeforeCommit.builder(BEFORE_COMMIT).build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    private static List<EnrichedRequest> requests() {
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());
        RouteTemplates routes = new RouteTemplates(List.of());
        return CaddyCapture.lines("access.log").stream()
                .map(line -> parser.parse(line.getBytes(StandardCharsets.UTF_8)))
                .filter(ParseOutcome.Parsed.class::isInstance)
                .map(outcome -> ((ParseOutcome.Parsed) outcome).event())
                .map(event -> new EnrichedRequest(event, Identity.anonymous(), routes.templateOf(event.path()), PolicyVerdict.judge(null, event)))
                .limit(20)
                .toList();
    }

    private void process(List<EnrichedRequest> requests) {
        requests.forEach(request -> processor.add(request.event().endEpochNanos() / 1_000_000, request));
    }

    /** What goes out at the processor's look at wall-clock time {@code now}. */
    private long flushedRequestsAt(long now) {
        sent.clear();
        told.clear();
        var punctuators = context.scheduledPunctuators();
        punctuators.get(punctuators.size() - 1).getPunctuator().punctuate(now);
        return sent.stream().mapToLong(partial -> partial.toRecord("anonymous", null, 0, 1).getCount()).sum();
    }

    /** What goes out when the next commit is due (the task last committed at time 0, unless the test commits). */
    private long flushedRequests() {
        return flushedRequestsAt(COMMIT_INTERVAL_MS);
    }

    @Test
    void partialWindowsGoOutAtTheLastLookBeforeTheTaskCommitsNotInBetween() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests);

        assertThat(flushedRequestsAt(COMMIT_INTERVAL_MS / 2)).isZero();
        assertThat(flushedRequestsAt(COMMIT_INTERVAL_MS - COMMIT_INTERVAL_MS / 10)).isEqualTo(requests.size());
    }

    @Test
    void aCommitStartsTheWaitForTheNextOne() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests);
        context.setCurrentSystemTimeMs(800);
        beforeCommit.flushCache();

        assertThat(flushedRequestsAt(COMMIT_INTERVAL_MS)).isZero();
        assertThat(flushedRequestsAt(800 + COMMIT_INTERVAL_MS)).isEqualTo(requests.size());
    }

    @Test
    void aTaskRevivedAfterAnAbortedTransactionFlushesWhatItsRestoredStoreHoldsNotWhatItHeldBefore() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests);

        reviveAfterAnAbortedTransaction();
        process(requests);

        assertThat(flushedRequests()).isEqualTo(requests.size());
    }

    /**
     * The tick that told the time went out in the transaction that aborted: no merging task read it. The partials of
     * the revived task's first flush must not carry it, or a merging task would take it from the first of them and close
     * the windows the rest of that flush is for.
     */
    @Test
    void aTaskRevivedAfterAnAbortedTransactionTellsNoTimeItToldOnlyInThatTransaction() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests);
        flushedRequests();

        reviveAfterAnAbortedTransaction();
        process(requests);

        assertThat(flushedRequests()).isEqualTo(requests.size());
        assertThat(told).isNotEmpty().containsOnly(Long.MIN_VALUE);
    }

    @Test
    void partialWindowsReachTheStoreWhenTheTaskCommitsNotOnEveryRequest() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests);
        assertThat(storedRequests()).isZero();

        beforeCommit.flushCache();

        assertThat(storedRequests()).isEqualTo(requests.size());
    }

    @Test
    void aTaskRestoredFromItsLastCommitFlushesWhatThatCommitStored() {
        List<EnrichedRequest> requests = requests();
        processor.init(context, outlet);
        process(requests.subList(0, 5));
        beforeCommit.flushCache();
        process(requests.subList(5, requests.size()));

        // killed before its next commit: another instance restores the store and starts from the committed offsets
        processor.close();
        processor.init(context, outlet);

        assertThat(flushedRequests()).isEqualTo(5);
    }

    @Test
    void aFlushedPartialLeavesTheStoreInTheTransactionThatSendsIt() {
        processor.init(context, outlet);
        process(requests());
        beforeCommit.flushCache();

        flushedRequests();
        beforeCommit.flushCache();

        assertThat(storedRequests()).isZero();
    }

    private long storedRequests() {
        long requests = 0;
        try (KeyValueIterator<String, LatencyWindow> all = partials.all()) {
            while (all.hasNext()) {
                requests += all.next().value.count();
            }
        }
        return requests;
    }

    @Test
    void closingTheProcessorCancelsItsFlushesSoThatARevivedTaskFlushesOnce() {
        processor.init(context, outlet);
        processor.close();

        assertThat(context.scheduledPunctuators()).singleElement().satisfies(flushes -> assertThat(flushes.cancelled()).isTrue());
    }

    /**
     * The transaction aborts before anything since the start is committed: Kafka Streams closes the task dirty, restores
     * its stores to the last commit (empty here) and initializes the same processor again, which reads the same
     * requests again.
     */
    private void reviveAfterAnAbortedTransaction() {
        processor.close();
        clear(partials);
        clear(streamTimes);
        processor.init(context, outlet);
    }

    private static void clear(KeyValueStore<String, ?> store) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, ?> all = store.all()) {
            all.forEachRemaining(entry -> keys.add(entry.key));
        }
        keys.forEach(store::delete);
    }
}
