package dev.caddylightstep.span;

import dev.caddylightstep.aggregate.BeforeCommit;
import dev.caddylightstep.aggregate.CommitLooks;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.Stores;

/**
 * Stages {@code sample} and {@code span}: the OTLP span record of each request sampled in ({@link SpanSampling}),
 * gathered with the others of its task into few full records of the spans topic ({@link SpanBatches}), one per
 * partition its traces go to: the producer's cost is a record's more than a byte's. One instance per task: the
 * sampling's trackers, the open batches and the sensors are the task's.
 *
 * <p>Exact under exactly-once: every open batch is sent at the task's last look before each commit, and what a commit
 * still finds open (spans of lines processed after that look, or a commit a rebalance called) is written to a logged
 * store in that commit's transaction, sent at the next look and deleted from the store in the transaction that sends it.
 */
public final class SpanStage {
    /** The open batches as of the last commit, by partition of the spans topic. */
    public static final String BATCHES_STORE = "span-batches";
    /** A store of no data and no changelog, through which the batches learn that their task commits (see {@link BeforeCommit}). */
    public static final String BATCHES_COMMIT_STORE = "span-batches-commit";

    private final SpanMapper mapper;
    private final SpanSampling sampling;
    private final SpanBatches batches;
    private final CommitLooks commits;
    private Consumer<SpanBatches.Batch> send;

    /**
     * @param partitions the spans topic's partitions, 0 when not known (the topology alone, as tests build it): then every
     *     span goes into one batch
     */
    public SpanStage(SpanMapper mapper, SamplingSettings sampling, WindowSettings windows, SpanBatchSettings limits, int partitions) {
        this.mapper = mapper;
        this.sampling = new SpanSampling(sampling, windows);
        this.batches = new SpanBatches(partitions, limits);
        this.commits = new CommitLooks(() -> batches.drain(send), batches::save);
    }

    /** Adds the stores of the open batches to the topology; returns their names, to connect the processor that runs this stage to them. */
    public static String[] stores(StreamsBuilder builder) {
        // written only in a commit, and then each open batch once: nothing for a record cache to save
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCHES_STORE), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled());
        builder.addStateStore(BeforeCommit.builder(BATCHES_COMMIT_STORE));
        return new String[] {BATCHES_STORE, BATCHES_COMMIT_STORE};
    }

    /**
     * From the init of the processor it runs in, connected to its {@link #stores}.
     *
     * @param send writes a batch to the spans topic, keyed by the trace id of its first span
     */
    public void init(ProcessorContext<?, ?> context, Consumer<SpanBatches.Batch> send) {
        this.send = send;
        sampling.init(context.metrics());
        batches.restore(context.getStateStore(BATCHES_STORE));
        commits.start(context, BATCHES_COMMIT_STORE);
    }

    public void close() {
        commits.stop();
    }

    /**
     * The entity of the Streams metric {@code spans-sampled-total} (scope caddy-lightstep) that counts one decision of the
     * sampling stage: kept by a keep rule's code or by the ratio, or dropped by the ratio.
     */
    public static String samplingMetricEntity(String decision, String reason) {
        return "spans-sampled-" + decision + "-" + reason;
    }

    /**
     * Adds the request's spans to their batch, unless it is sampled out. A span record larger than a batch may be fails
     * the request here, while its line is at hand: it becomes a too-large dead letter of stage span.
     *
     * @param timestamp when Caddy logged the request
     * @param now this instance's clock, as Kafka Streams read it for the record: when the sampling decision is counted
     */
    public void add(long timestamp, EnrichedRequest request, long now) {
        String traceState = sampling.traceState(timestamp, request, now);
        if (traceState == null) {
            return;
        }
        String exported = traceState.isEmpty() ? request.event().trace().traceState() : traceState;
        RecordFailure.guard("span", () -> {
            batches.add(request.event().trace().traceId(), mapper.spans(request, exported), send);
            return null;
        });
    }
}
