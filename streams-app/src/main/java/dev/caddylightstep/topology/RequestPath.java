package dev.caddylightstep.topology;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.ParseStage;
import dev.caddylightstep.aggregate.LatencyWindow;
import dev.caddylightstep.aggregate.PartialWindows;
import dev.caddylightstep.aggregate.RouteCap;
import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.identity.EnrichStage;
import dev.caddylightstep.identity.IdentifiedRequest;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.policy.EnrichedRequest;
import dev.caddylightstep.policy.JudgeStage;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.span.SpanStage;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The per-request path as one processor node: parse, identify, enrich, judge, cap routes, the partial windows, sample
 * and span, each a call of its stage's plain function. As DSL nodes, every request was forwarded, timestamped and
 * counted by Kafka Streams' sensors at each of ten of them, and branched twice on the way. What leaves the node
 * goes to the child named for what it is: dead letters, and, once a commit or when full, records of spans and partial
 * windows.
 *
 * <p>Whatever a stage throws for a request makes the source line a dead letter naming that stage
 * ({@link RecordFailure}); the windows count a request before its span is made, so that a request whose span fails
 * is still counted, as when they were separate nodes.
 */
final class RequestPath<K, V> implements Processor<K, V, Object, Object> {
    private final Intake<K, V> intake;
    private final Children children;
    private final TableLookup<Policy> policies;
    private final RouteTemplates routes;
    private final RouteCap cap;
    private final PartialWindows windows;
    private final SpanStage spans;
    private ProcessorContext<Object, Object> context;

    /** The names of the node's children: where its dead letters, records of spans and partial windows go. */
    record Children(String deadLetters, String spans, String partials) {
    }

    /** How a record of the node's input becomes a request. */
    interface Intake<K, V> {
        void init(ProcessorContext<Object, Object> context, Children children);

        /**
         * The request, with the time Caddy logged it as the record's time; null when the record is none (a line of another
         * logger, or one the intake made a dead letter).
         */
        Record<K, IdentifiedRequest> request(Record<K, V> record);
    }

    RequestPath(Intake<K, V> intake, Children children, TableLookup<Policy> policies, RouteTemplates routes, RouteCap cap,
                PartialWindows windows, SpanStage spans) {
        this.intake = intake;
        this.children = children;
        this.policies = policies;
        this.routes = routes;
        this.cap = cap;
        this.windows = windows;
        this.spans = spans;
    }

    /** The node's records of one kind: the stream its child of that kind is attached to. */
    @SuppressWarnings("unchecked")
    static <K, V> KStream<K, V> outputs(KStream<Object, Object> node) {
        return (KStream<K, V>) (KStream<?, ?>) node;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        intake.init(context, children);
        policies.init(context);
        // a batch holds the spans of many lines: it carries none of their headers, and the time it is written, which the
        // spans topic replaces with the broker's (log append time) anyway
        spans.init(context, batch -> context.forward(new Record<>(batch.key(), batch.record(), context.currentSystemTimeMs()), children.spans()));
        windows.init(context, new PartialWindows.Outlet() {
            @Override
            public void partial(Record<String, LatencyWindow> partial) {
                context.forward(partial, children.partials());
            }

            @Override
            public void lateLine(Record<byte[], byte[]> deadLetter) {
                context.forward(deadLetter, children.deadLetters());
            }
        });
    }

    @Override
    public void process(Record<K, V> record) {
        Record<K, IdentifiedRequest> identified = intake.request(record);
        if (identified == null) {
            return;
        }
        long timestamp = identified.timestamp();
        long now = context.currentSystemTimeMs();
        EnrichedRequest request = cap.cap(timestamp, JudgeStage.judge(identified.value(), policyOf(identified.value()), routes), now);
        RecordFailure.guard("aggregate", () -> {
            windows.add(timestamp, request);
            return null;
        });
        spans.add(timestamp, request, now);
    }

    private Policy policyOf(IdentifiedRequest request) {
        String group = request.identity().group();
        return group == null ? null : RecordFailure.guard("judge", () -> policies.get(group));
    }

    @Override
    public void close() {
        windows.close();
        spans.close();
    }

    /**
     * The request of a line, or null: a line that is none goes to the child {@code deadLetters} or is skipped. Its time is
     * when Caddy logged it: windows are assigned by that, whatever time the shipper gave the record.
     */
    private static Record<byte[], AccessEvent> parsed(ParseStage parse, ProcessorContext<Object, Object> context, String deadLetters,
                                                      Record<byte[], byte[]> line) {
        AccessEvent event = parse.parse(line, context.currentSystemTimeMs(), context.recordMetadata(),
                deadLetter -> context.forward(deadLetter, deadLetters));
        return event == null ? null : line.withValue(event).withTimestamp(event.endEpochMillis());
    }

    /**
     * The global join's intake: a raw line, parsed and enriched here with its entry of the identities table, which
     * every instance holds whole.
     */
    static final class Lines implements Intake<byte[], byte[]> {
        private final ParseStage parse;
        private final IdentitySource source;
        private final TableLookup<Identity> identities;
        private ProcessorContext<Object, Object> context;
        private String deadLetters;

        Lines(ParseStage parse, IdentitySource source, TableLookup<Identity> identities) {
            this.parse = parse;
            this.source = source;
            this.identities = identities;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context, Children children) {
            this.context = context;
            this.deadLetters = children.deadLetters();
            parse.init(context.metrics());
            identities.init(context);
        }

        @Override
        public Record<byte[], IdentifiedRequest> request(Record<byte[], byte[]> line) {
            Record<byte[], AccessEvent> event = parsed(parse, context, deadLetters, line);
            if (event == null) {
                return null;
            }
            return event.withValue(EnrichStage.global(event.value(), source,
                    identity -> RecordFailure.guard("enrich", () -> identities.get(identity))));
        }
    }

    /** The partitioned join's intake: a request the join after the repartition already enriched. */
    static final class Identified<K> implements Intake<K, IdentifiedRequest> {
        @Override
        public void init(ProcessorContext<Object, Object> context, Children children) {
        }

        @Override
        public Record<K, IdentifiedRequest> request(Record<K, IdentifiedRequest> record) {
            return record;
        }
    }

    /**
     * Where the partitioned join starts: a raw line, parsed here, goes to its dead letter or, as a request, to the
     * child that keys it by identity for the repartition.
     */
    static final class ParsedLines implements Processor<byte[], byte[], Object, Object> {
        private final ParseStage parse;
        private final String deadLetters;
        private final String requests;
        private ProcessorContext<Object, Object> context;

        ParsedLines(ParseStage parse, String deadLetters, String requests) {
            this.parse = parse;
            this.deadLetters = deadLetters;
            this.requests = requests;
        }

        @Override
        public void init(ProcessorContext<Object, Object> context) {
            this.context = context;
            parse.init(context.metrics());
        }

        @Override
        public void process(Record<byte[], byte[]> line) {
            Record<byte[], AccessEvent> event = parsed(parse, context, deadLetters, line);
            if (event != null) {
                context.forward(event, requests);
            }
        }
    }
}
