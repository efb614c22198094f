package dev.caddylightstep.span;

import dev.caddylightstep.aggregate.BeforeCommit;
import dev.caddylightstep.deadletter.RecordFailure;
import java.time.Duration;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

/**
 * The span records of a task, written as few full records ({@link SpanBatches}) rather than one a request: the
 * producer's cost is a record's more than a byte's. Exact under exactly-once: every open batch is sent at the task's
 * last look before each commit, and what a commit still finds open (spans processed after that look, or a commit that
 * a rebalance called) is written to a logged store in that commit's transaction, sent by the next look, and deleted
 * from the store in the transaction that sends it.
 */
public final class SpanBatching implements Processor<String, byte[], String, byte[]> {
    /** The node the span records go to. */
    public static final String NODE = "span-batches";
    /** The open batches as of the last commit, by partition of the spans topic. */
    public static final String BATCHES_STORE = "span-batches";
    /** A store of no data and no changelog, through which the batches learn that their task commits (see {@link BeforeCommit}). */
    public static final String BATCHES_COMMIT_STORE = "span-batches-commit";

    private final SpanBatches batches;
    private ProcessorContext<String, byte[]> context;
    /** Kafka Streams' commit.interval.ms, and how often the processor looks whether a commit is near. */
    private long commitIntervalMs;
    private long checkIntervalMs;
    /** Wall-clock time of this task's last commit. */
    private long lastCommitMs;
    private Cancellable flushes;

    private SpanBatching(SpanBatches batches) {
        this.batches = batches;
    }

    /**
     * The span records (key = trace id), as batches for the spans topic, keyed so that the producer's default
     * partitioner sends each where its spans were gathered for.
     *
     * @param partitions the spans topic's partitions, 0 when not known (the topology alone, as tests build it)
     */
    public static KStream<String, byte[]> apply(StreamsBuilder builder, KStream<String, byte[]> spans, SpanBatchSettings limits, int partitions) {
        // written only in a commit, and then each open batch once: nothing for a record cache to save
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCHES_STORE), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled());
        builder.addStateStore(BeforeCommit.builder(BATCHES_COMMIT_STORE));
        return spans.process(() -> new SpanBatching(new SpanBatches(partitions, limits)), Named.as(NODE),
                BATCHES_STORE, BATCHES_COMMIT_STORE);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        batches.restore(context.getStateStore(BATCHES_STORE));
        context.<BeforeCommit>getStateStore(BATCHES_COMMIT_STORE).run(this::beforeCommit);
        commitIntervalMs = Long.parseLong(String.valueOf(context.appConfigs().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)));
        checkIntervalMs = Math.max(1, commitIntervalMs / 10);
        lastCommitMs = context.currentSystemTimeMs();
        flushes = context.schedule(Duration.ofMillis(checkIntervalMs), PunctuationType.WALL_CLOCK_TIME, this::flushIfCommitIsNear);
    }

    /** A task keeps its punctuations across a close and a revive: without this, every revive would add a flush. */
    @Override
    public void close() {
        flushes.cancel();
    }

    @Override
    public void process(Record<String, byte[]> record) {
        try {
            batches.add(record.key(), record.value(), this::send);
        } catch (RecordTooLargeException e) {
            throw RecordFailure.of("span", e);
        }
    }

    private void beforeCommit() {
        batches.save();
        lastCommitMs = context.currentSystemTimeMs();
    }

    /** As the partial windows are sent (see {@code PartialWindows}): at the last look before the commit, so that it holds them. */
    private void flushIfCommitIsNear(long now) {
        if (now - lastCommitMs >= commitIntervalMs - checkIntervalMs) {
            batches.drain(this::send);
        }
    }

    /**
     * A batch holds the spans of many lines: it carries none of their headers, and the time it is written, which the
     * spans topic replaces with the broker's (log append time) anyway.
     */
    private void send(SpanBatches.Batch batch) {
        context.forward(new Record<>(batch.key(), batch.record(), context.currentSystemTimeMs()));
    }
}
