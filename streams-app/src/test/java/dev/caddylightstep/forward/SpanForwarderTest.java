package dev.caddylightstep.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The forwarder between a real broker and a local OTLP receiver that decodes real OTLP. */
@ExtendWith(SharedBroker.class)
class SpanForwarderTest {
    private static final String TOKEN = "ls-token-" + UUID.randomUUID();
    /** Smaller than the batches of 64 spans the forwarder is configured for here, so that the limit matters. */
    private static final int SIZE_LIMIT = 16 * 1024;
    private static final String LONG_QUERY_SPAN_ID = "5ca1ab1e0ddba11f";
    private static EmbeddedKafka kafka;
    private static List<byte[]> spanRecords;
    private static Set<String> spanIds;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        kafka = shared;
        // real spans: the topology's own output for the captured access log
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log"));
            List<ExportTraceServiceRequest> requests = p.exportRequests();
            spanRecords = requests.stream().map(ExportTraceServiceRequest::toByteArray).toList();
            spanIds = p.spans().stream().map(s -> HexFormat.of().formatHex(s.getSpanId().toByteArray())).collect(Collectors.toSet());
        }
    }

    /** A fresh pair of topics, so that tests do not share offsets. */
    private record Topics(String spans, String deadLetters, String group) {
        static Topics fresh() {
            return fresh(3);
        }

        static Topics fresh(int partitions) {
            return fresh(partitions, Map.of());
        }

        /**
         * One partition of spans and a dead-letter topic that takes records of at most 100,000 bytes, smaller than the
         * span records it may get (the broker's default of 1 MiB where caddy.spans takes more, or a producer's key).
         */
        static Topics withSmallDeadLetters() {
            return fresh(1, Map.of("max.message.bytes", "100000"));
        }

        private static Topics fresh(int partitions, Map<String, String> deadLetterConfigs) {
            String id = UUID.randomUUID().toString().substring(0, 8);
            Topics t = new Topics("spans-" + id, "spans-dlq-" + id, "forwarder-" + id);
            kafka.createTopics(List.of(new NewTopic(t.spans, partitions, (short) 1),
                    new NewTopic(t.deadLetters, 1, (short) 1).configs(deadLetterConfigs)));
            return t;
        }
    }

    private static SpanForwarder forwarder(Topics topics, OtlpReceiver receiver, Map<String, String> env) {
        return forwarder(topics, receiver, env, Map.of(), new SimpleMeterRegistry());
    }

    private static SpanForwarder forwarder(Topics topics, OtlpReceiver receiver, Map<String, String> env, Map<String, String> app,
                                           MeterRegistry registry) {
        Map<String, String> environment = new HashMap<>(env);
        environment.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint());
        environment.put("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", receiver.transport() == OtlpTransport.GRPC ? "grpc" : "http/protobuf");
        Map<String, String> overrides = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "caddy.forward.group-id", topics.group, "caddy.forward.batch-size", "64", "caddy.forward.max-backoff", "1s"));
        overrides.putAll(app);
        Settings settings = Settings.load(null, environment, overrides);
        ForwarderSettings forwarderSettings = ForwarderSettings.from(settings);
        ExportTarget target = ExportTarget.from(settings, forwarderSettings).orElseThrow();
        SpanForwarder forwarder = new SpanForwarder(forwarderSettings, settings.kafka(), target.spanSender(), topics.spans,
                topics.deadLetters, registry);
        Thread thread = new Thread(() -> {
            try {
                forwarder.run();
            } finally {
                target.close();
            }
        }, "forwarder-" + topics.group);
        thread.setDaemon(true);
        thread.start();
        return forwarder;
    }

    private static Map<TopicPartition, Long> committed(Topics topics) throws ExecutionException, InterruptedException {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(topics.group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> result = new HashMap<>();
            offsets.forEach((tp, o) -> result.put(tp, o == null ? 0L : o.offset()));
            return result;
        }
    }

    /**
     * A real span record whose request carried a query string of {@code length} characters, as a crawler's or a
     * broken client's may; it gets a span id of its own.
     */
    private static byte[] spanWithQueryOf(int length) throws InvalidProtocolBufferException {
        ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.parseFrom(spanRecords.get(0)).toBuilder();
        Span.Builder span = request.getResourceSpansBuilder(0).getScopeSpansBuilder(0).getSpansBuilder(0);
        List<KeyValue> others = span.getAttributesList().stream().filter(kv -> !kv.getKey().equals("url.query")).toList();
        span.setSpanId(ByteString.fromHex(LONG_QUERY_SPAN_ID)).clearAttributes().addAllAttributes(others)
                .addAttributes(KeyValue.newBuilder().setKey("url.query").setValue(AnyValue.newBuilder().setStringValue("q=" + "x".repeat(length))));
        return request.build().toByteArray();
    }

    private static long deadLetterCount(Topics topics) {
        return TopicRecords.endOffsets(kafka.bootstrapServers(), topics.deadLetters);
    }

    private static long endOffsets(Topics topics) {
        return TopicRecords.endOffsets(kafka.bootstrapServers(), topics.spans);
    }

    private static long committedSum(Topics topics) throws ExecutionException, InterruptedException {
        return committed(topics).values().stream().mapToLong(Long::longValue).sum();
    }

    private static String nameOf(byte[] spanRecord) {
        try {
            return ExportTraceServiceRequest.parseFrom(spanRecord).getResourceSpans(0).getScopeSpans(0).getSpans(0).getName();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static String spanIdOf(byte[] spanRecord) throws InvalidProtocolBufferException {
        Span span = ExportTraceServiceRequest.parseFrom(spanRecord).getResourceSpans(0).getScopeSpans(0).getSpans(0);
        return HexFormat.of().formatHex(span.getSpanId().toByteArray());
    }

    /** Records written one after another: protobuf reads them as one request holding all their spans, as a record of many spans. */
    private static byte[] joined(List<byte[]> records) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        records.forEach(bytes::writeBytes);
        return bytes.toByteArray();
    }

    /** Each span of the records with its resource and scope, as the receiver should get them. */
    private static List<String> spansWithResourceAndScope(List<byte[]> records) throws InvalidProtocolBufferException {
        List<String> spans = new ArrayList<>();
        for (byte[] record : records) {
            for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(record).getResourceSpansList()) {
                for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                    for (Span span : scopeSpans.getSpansList()) {
                        spans.add(resourceSpans.getResource() + "|" + scopeSpans.getScope() + "|" + span);
                    }
                }
            }
        }
        return spans;
    }

    private static List<String> received(OtlpReceiver receiver) {
        return receiver.spans().stream().map(s -> s.resource() + "|" + s.scope() + "|" + s.span()).toList();
    }

    /**
     * A real span record with what the pipeline does not write today but OTLP carries: an event, a link, a map and an
     * integer array among the attributes, and flags beyond the trace flags.
     */
    private static byte[] spanWithEverythingOtlpCarries() throws InvalidProtocolBufferException {
        ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.parseFrom(spanRecords.get(1)).toBuilder();
        Span.Builder span = request.getResourceSpansBuilder(0).getScopeSpansBuilder(0).getSpansBuilder(0);
        span.setSpanId(ByteString.fromHex("0e0e0e0e0e0e0e0e")).setFlags(0x301)
                .addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(span.getStartTimeUnixNano() + 1)
                        .addAttributes(KeyValue.newBuilder().setKey("exception.type").setValue(AnyValue.newBuilder().setStringValue("Timeout"))))
                .addLinks(Span.Link.newBuilder().setTraceId(ByteString.fromHex("0102030405060708090a0b0c0d0e0f10"))
                        .setSpanId(ByteString.fromHex("0102030405060708")))
                .addAttributes(KeyValue.newBuilder().setKey("edge.extra").setValue(AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                        .addValues(KeyValue.newBuilder().setKey("pop").setValue(AnyValue.newBuilder().setStringValue("fra"))))))
                .addAttributes(KeyValue.newBuilder().setKey("edge.hops").setValue(AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                        .addValues(AnyValue.newBuilder().setIntValue(3)).addValues(AnyValue.newBuilder().setIntValue(5)))));
        return request.build().toByteArray();
    }

    /** The first records, grouped {@code per} record: records of several spans, as a whole batch of spans will be. */
    private static List<byte[]> recordsOfSeveralSpans(int records, int per) {
        List<byte[]> joined = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            joined.add(joined(spanRecords.subList(i * per, (i + 1) * per)));
        }
        return joined;
    }

    /**
     * The forwarder sends the records' bytes: every span arrives exactly as the pipeline wrote it, under its resource
     * and scope, whatever it carries, from records of one span or of many, with the headers and compression of
     * OTEL_EXPORTER_OTLP_TRACES_*.
     */
    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void theBackendGetsExactlyTheSpansOfTheRecordsWithTheConfiguredHeadersAndCompression(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        MeterRegistry registry = new SimpleMeterRegistry();
        List<byte[]> records = new ArrayList<>(recordsOfSeveralSpans(10, 7));
        records.addAll(spanRecords.subList(70, 100));
        records.add(spanWithEverythingOtlpCarries());
        List<String> expected = spansWithResourceAndScope(records);
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=acme%20eu",
                    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"), Map.of(), registry)) {
                receiver.awaitSpans(expected.size(), Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(received(receiver)).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(forwarder.acknowledgedSpans()).isEqualTo(expected.size());
                assertThat(registry.counter("caddy.forward.spans.exported").count()).isEqualTo(expected.size());
                String encodingHeader = transport == OtlpTransport.GRPC ? "grpc-encoding" : "content-encoding";
                assertThat(receiver.requestHeaders()).isNotEmpty().allSatisfy(h -> {
                    assertThat(h.first("x-tenant")).contains("acme eu");
                    assertThat(h.first(encodingHeader)).contains("gzip");
                });
                assertThat(deadLetterCount(topics)).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aRecordOfManySpansRefusedAsTooLargeIsTakenApartAndEverySpanArrivesOnce(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh(1);
        MeterRegistry registry = new SimpleMeterRegistry();
        int per = 0;
        while (joined(spanRecords.subList(0, per)).length <= 3 * SIZE_LIMIT) {
            per++;
        }
        List<byte[]> records = new ArrayList<>(spanRecords.subList(per, per + 20));
        records.add(10, joined(spanRecords.subList(0, per)));
        try (OtlpReceiver receiver = new OtlpReceiver(transport).limitMessageSize(SIZE_LIMIT).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(), Map.of(), registry)) {
                receiver.awaitSpans(per + 20, Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(received(receiver)).containsExactlyInAnyOrderElementsOf(spansWithResourceAndScope(records));
                // the receiver counts no request it refused for its size: the forwarder does
                assertThat(registry.counter("caddy.forward.export.failures").count()).isPositive();
                assertThat(deadLetterCount(topics)).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aSpanTheBackendRejectsInARecordOfManySpansIsDeadLetteredNamingThatSpan(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh(1);
        byte[] teapot = spanRecords.stream().filter(r -> nameOf(r).equals("GET /teapot")).findFirst().orElseThrow();
        List<byte[]> others = spanRecords.stream().filter(r -> !nameOf(r).equals("GET /teapot")).toList();
        List<byte[]> manySpans = new ArrayList<>(others.subList(0, 8));
        manySpans.add(4, teapot);
        byte[] record = joined(manySpans);
        List<byte[]> records = new ArrayList<>(others.subList(8, 14));
        records.add(3, record);
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.rejectSpansNamed("GET /teapot");
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("rejected-by-backend");
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.MESSAGE)).contains(spanIdOf(teapot));
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.OFFSET)).isEqualTo("3");
                    // the refused span under its resource and scope, not the record's other eight spans with it
                    assertThat(spansWithResourceAndScope(List.of(r.value()))).isEqualTo(spansWithResourceAndScope(List.of(teapot)));
                });
                receiver.awaitSpans(8 + 6, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                List<byte[]> exported = new ArrayList<>(others.subList(0, 14));
                assertThat(received(receiver)).containsExactlyInAnyOrderElementsOf(spansWithResourceAndScope(exported));
            }
        }
    }

    /** Small batches, so that the captured spans make many requests, up to four of them in flight. */
    private static final Map<String, String> FOUR_IN_FLIGHT = Map.of("caddy.forward.batch-size", "16", "caddy.forward.max-in-flight", "4");

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void everySpanArrivesOnceAfterAnOutage(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.refuseNext(3, 503);
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords.subList(0, 150));
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.spans().size() >= 40);
                receiver.drainAndStop();
                TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords.subList(150, spanRecords.size()));
                Thread.sleep(3000);
                receiver.start();
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
                assertThat(receiver.refusedRequests()).isGreaterThanOrEqualTo(3);
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
            }
        }
    }

    /**
     * A backend that crashes may have taken a request whose answer never left: only such a lost acknowledgement sends
     * spans again, with the same ids, and at most the requests that were in flight (4 of 64 spans here).
     */
    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aCrashedBackendLosesNothingAndRepeatsAtMostTheRequestsInFlight(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.spans().size() >= 40);
                receiver.stop();
                Thread.sleep(2000);
                receiver.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> Set.copyOf(receiver.spanIdsHex()).containsAll(spanIds));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(Set.copyOf(receiver.spanIdsHex())).isEqualTo(spanIds);
                assertThat(receiver.spanIdsHex().size() - spanIds.size()).isLessThanOrEqualTo(4 * 64);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void noOffsetIsCommittedBeforeTheBackendAcknowledged(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.stop();
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords.subList(0, 100));
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                Thread.sleep(4000);
                assertThat(committed(topics).values()).allMatch(offset -> offset == 0);
                receiver.start();
                receiver.awaitSpans(100, Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == 100);
                assertThat(forwarder.acknowledgedSpans()).isEqualTo(100);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void spansTheBackendRejectsAreDeadLetteredAndTheRestExported(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.rejectSpansNamed("GET /teapot");
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                int teapots = (int) CaddyCapture.lines("access.log").stream().filter(l -> l.contains("\"uri\":\"/teapot\"")).count();
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, teapots, Duration.ofSeconds(60));
                assertThat(dead).hasSize(teapots).allSatisfy(r -> {
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("rejected-by-backend");
                    assertThat(ExportTraceServiceRequest.parseFrom(r.value()).getResourceSpans(0).getScopeSpans(0).getSpans(0).getName())
                            .isEqualTo("GET /teapot");
                });
                receiver.awaitSpans(spanRecords.size() - teapots, Duration.ofSeconds(30));
                assertThat(receiver.spans()).noneMatch(s -> s.name().equals("GET /teapot"));
            }
        }
    }

    /**
     * A backend that keeps only some of a request's spans says how many it dropped in its answer (OTLP's partial
     * success), and a client must not send that request again: the forwarder counts them apart from the exported ones,
     * commits, and sends nothing twice. The answer does not say which spans, so none can be dead-lettered.
     */
    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void spansTheBackendDropsFromAnAcknowledgedExportAreCountedAsRejectedAndNotSentAgain(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        MeterRegistry registry = new SimpleMeterRegistry();
        long teapots = 0;
        for (byte[] record : spanRecords) {
            for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(record).getResourceSpansList()) {
                teapots += resourceSpans.getScopeSpansList().stream().flatMap(s -> s.getSpansList().stream())
                        .filter(span -> span.getName().equals("GET /teapot")).count();
            }
        }
        long kept = spanIds.size() - teapots;
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.dropSpansMatching(span -> span.getName().equals("GET /teapot"));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(), Map.of(), registry)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(teapots).isPositive();
                assertThat(registry.counter("caddy.forward.spans.rejected").count()).isEqualTo(teapots);
                assertThat(registry.counter("caddy.forward.spans.exported").count()).isEqualTo(kept);
                assertThat(forwarder.acknowledgedSpans()).isEqualTo(kept);
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().hasSize((int) kept);
                assertThat(receiver.requests()).allMatch(request -> request.verdict().accepted());
                assertThat(receiver.requests().stream().mapToLong(ReceivedRequest::spanCount).sum()).isEqualTo(spanIds.size());
                assertThat(deadLetterCount(topics)).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void theLightstepTokenIsSentWithEveryRequest(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.refuseNext(1, 503);
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords.subList(0, 10));
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of("LS_ACCESS_TOKEN", TOKEN))) {
                receiver.awaitSpans(10, Duration.ofSeconds(30));
                assertThat(receiver.requestHeaders()).isNotEmpty().allSatisfy(h -> assertThat(h.first("lightstep-access-token")).contains(TOKEN));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aRecordThatIsNotOtlpIsDeadLettered(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            List<byte[]> records = new ArrayList<>(spanRecords.subList(0, 5));
            records.add("{\"not\":\"otlp\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).hasSize(1);
                assertThat(DeadLetterHeaders.text(dead.get(0).headers(), DeadLetterHeaders.REASON)).isEqualTo("not-otlp");
                receiver.awaitSpans(5, Duration.ofSeconds(30));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = OtlpTransport.class, names = "HTTP_PROTOBUF")
    void twoForwardersShareThePartitionsAndExportEachSpanOnce(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder first = forwarder(topics, receiver, Map.of()); SpanForwarder second = forwarder(topics, receiver, Map.of())) {
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                Thread.sleep(1000);
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().hasSize(spanRecords.size());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void noExportCarriesMoreThanMaxExportBytes(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        MeterRegistry registry = new SimpleMeterRegistry();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).limitMessageSize(SIZE_LIMIT).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(),
                    Map.of("caddy.forward.max-export-bytes", Integer.toString(SIZE_LIMIT)), registry)) {
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                assertThat(registry.counter("caddy.forward.export.failures").count()).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aBatchTheBackendRefusesAsTooLargeIsSplitUntilItGetsThrough(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).limitMessageSize(SIZE_LIMIT).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
                assertThat(deadLetterCount(topics)).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aSpanRecordLargerThanMaxExportBytesIsDeadLetteredWithoutBeingSent(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            List<byte[]> records = new ArrayList<>(spanRecords.subList(0, 5));
            records.add(2, spanWithQueryOf(2 * SIZE_LIMIT));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(),
                    Map.of("caddy.forward.max-export-bytes", Integer.toString(SIZE_LIMIT)), new SimpleMeterRegistry())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                    assertThat(r.value()).isEqualTo(records.get(2));
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.MESSAGE)).contains("caddy.forward.max-export-bytes=" + SIZE_LIMIT);
                });
                receiver.awaitSpans(5, Duration.ofSeconds(30));
                assertThat(receiver.spanIdsHex()).doesNotContain(LONG_QUERY_SPAN_ID);
            }
        }
    }

    /**
     * A dead-letter topic made with a smaller record limit than the span records it may get (the broker's default of 1
     * MiB where caddy.spans takes more, or as here): the dead letter goes without its value, saying how large it was.
     */
    @Test
    void aDeadLetterTooLargeForItsTopicIsWrittenWithoutItsValue() throws Exception {
        Topics topics = Topics.withSmallDeadLetters();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            List<byte[]> records = new ArrayList<>(spanRecords.subList(0, 10));
            byte[] large = spanWithQueryOf(300_000);
            records.add(3, large);
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(),
                    Map.of("caddy.forward.max-export-bytes", Integer.toString(SIZE_LIMIT)), new SimpleMeterRegistry())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(r.value()).isNull();
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.ORIGINAL_BYTES)).isEqualTo(Integer.toString(large.length));
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.OFFSET)).isEqualTo("3");
                });
                receiver.awaitSpans(10, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
            }
        }
    }

    /**
     * A key too large for the dead-letter topic (a record of another producer's: the pipeline's keys are trace ids) goes
     * the way a value too large does, left out with its size in a header; the forwarder goes on with the next records.
     */
    @Test
    void aDeadLetterWhoseKeyIsTooLargeForItsTopicIsWrittenWithoutKeyOrValue() throws Exception {
        Topics topics = Topics.withSmallDeadLetters();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.spans, new byte[150_000], "{".getBytes(StandardCharsets.UTF_8))).get();
            for (byte[] record : spanRecords.subList(0, 10)) {
                producer.send(new ProducerRecord<>(topics.spans, record)).get();
            }
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(r.key()).isNull();
                    assertThat(r.value()).isNull();
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.ORIGINAL_KEY_BYTES)).isEqualTo("150000");
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("not-otlp");
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.OFFSET)).isEqualTo("0");
                });
                receiver.awaitSpans(10, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
            }
        }
    }

    /**
     * A record of another producer's whose thousand spans share one 12 KB resource, refused as too large: taken apart
     * each span would carry the resource, 12 MB for a 27 KB record, so it is dead-lettered whole instead. It was taken
     * apart and sent a span a request, the resource with each.
     */
    @Test
    void aRecordWhoseSpansShareALargeResourceIsDeadLetteredWholeRatherThanTakenApart() throws Exception {
        Topics topics = Topics.fresh(1);
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (int i = 0; i < 1_000; i++) {
            scope.addSpans(Span.newBuilder().setName("s" + i).setTraceId(ByteString.fromHex("0102030405060708090a0b0c0d0e0f10"))
                    .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(i + 1L).array())));
        }
        byte[] shared = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("large")
                        .setValue(AnyValue.newBuilder().setStringValue("x".repeat(12_000)))))
                .addScopeSpans(scope)).build().toByteArray();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).limitMessageSize(SIZE_LIMIT).start()) {
            List<byte[]> records = new ArrayList<>(spanRecords.subList(0, 10));
            records.add(5, shared);
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(),
                    Map.of("caddy.forward.max-export-bytes", Integer.toString(4 * SIZE_LIMIT)), new SimpleMeterRegistry())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(30)).until(() -> committedSum(topics) == endOffsets(topics));

                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.MESSAGE)).contains("share a resource");
                    assertThat(r.value()).isEqualTo(shared);
                });
                assertThat(receiver.spans()).noneMatch(span -> span.name().startsWith("s"));
                assertThat(receiver.spans()).hasSize(spansWithResourceAndScope(spanRecords.subList(0, 10)).size());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void aSpanTheBackendRefusesAsTooLargeOnItsOwnIsDeadLettered(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).limitMessageSize(SIZE_LIMIT).start()) {
            List<byte[]> records = new ArrayList<>(spanRecords.subList(0, 20));
            records.add(7, spanWithQueryOf(2 * SIZE_LIMIT));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, records);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of())) {
                var dead = TopicRecords.readAtLeast(kafka.bootstrapServers(), topics.deadLetters, 1, Duration.ofSeconds(30));
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                    assertThat(r.value()).isEqualTo(records.get(7));
                    assertThat(DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.MESSAGE)).contains(LONG_QUERY_SPAN_ID, "too large");
                });
                receiver.awaitSpans(20, Duration.ofSeconds(30));
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().doesNotContain(LONG_QUERY_SPAN_ID);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void everySpanArrivesOnceWithSeveralRequestsInFlightAndSomeRefused(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.refuseNext(6, 503);
            // requests holding a slow span are answered late, so that later requests overtake them
            receiver.delaySpansMatching(span -> span.getSpanId().byteAt(7) % 5 == 0, Duration.ofMillis(300));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(), FOUR_IN_FLIGHT, new SimpleMeterRegistry())) {
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
                assertThat(receiver.refusedRequests()).isGreaterThanOrEqualTo(6);
                assertThat(forwarder.acknowledgedSpans()).isEqualTo(spanRecords.size());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(OtlpTransport.class)
    void noOffsetIsCommittedPastABatchStillAwaitingItsAnswer(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh(1);
        int held = 40;
        String heldSpan = spanIdOf(spanRecords.get(held));
        String farLaterSpan = spanIdOf(spanRecords.get(held + 64));
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.delaySpansMatching(span -> HexFormat.of().formatHex(span.getSpanId().toByteArray()).equals(heldSpan), Duration.ofSeconds(5));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(), FOUR_IN_FLIGHT, new SimpleMeterRegistry())) {
                // batches consumed after the held one are acknowledged while it waits for its answer
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.spanIdsHex().contains(farLaterSpan));
                assertThat(receiver.spanIdsHex()).doesNotContain(heldSpan);
                assertThat(committedSum(topics)).isLessThanOrEqualTo(held);
                receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = OtlpTransport.class, names = "GRPC")
    void aForwarderJoiningWhileRequestsAreInFlightExportsNoSpanTwice(OtlpTransport transport) throws Exception {
        Topics topics = Topics.fresh();
        try (OtlpReceiver receiver = new OtlpReceiver(transport).start()) {
            receiver.delaySpansMatching(span -> span.getSpanId().byteAt(7) % 3 == 0, Duration.ofMillis(500));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder first = forwarder(topics, receiver, Map.of(), FOUR_IN_FLIGHT, new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> first.acknowledgedSpans() > 0);
                try (SpanForwarder second = forwarder(topics, receiver, Map.of(), FOUR_IN_FLIGHT, new SimpleMeterRegistry())) {
                    receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                    await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                    assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
                }
            }
        }
    }

    /**
     * Forwarders rebalance cooperatively: one that joins takes only the partitions that move to it, and the others go on
     * with the rest. Under the consumer's default (the eager range assignor first) every member gave up every partition
     * in each rejoin, committing its acknowledged batches on the way, or exporting them again when it could not.
     */
    @Test
    void aForwarderJoiningTakesOnlyThePartitionsThatMoveToIt() throws Exception {
        Topics topics = Topics.fresh(6);
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            try (SpanForwarder first = forwarder(topics, receiver, Map.of())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> first.acknowledgedSpans() > 0);
                Set<TopicPartition> before = group(topics).members().iterator().next().assignment().topicPartitions();
                assertThat(before).hasSize(6);
                try (SpanForwarder second = forwarder(topics, receiver, Map.of())) {
                    ConsumerGroupDescription group = await().atMost(Duration.ofSeconds(30)).until(() -> group(topics),
                            g -> g.members().size() == 2 && g.members().stream().noneMatch(m -> m.assignment().topicPartitions().isEmpty()));
                    assertThat(group.partitionAssignor()).isEqualTo("cooperative-sticky");
                    assertThat(group.members()).allSatisfy(m -> assertThat(before).containsAll(m.assignment().topicPartitions()));
                    receiver.awaitSpans(spanRecords.size(), Duration.ofSeconds(60));
                    await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                    assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(spanIds);
                }
            }
        }
    }

    /**
     * A forwarder whose group rebalances while it has acknowledged spans to commit goes on polling and finishes the
     * rebalance. A member that took a partition stops polling (it leaves only when its poll timeout runs out) and a third
     * asks to join, so the forwarder's rejoin waits; its requests in flight are answered meanwhile. Kafka refuses their
     * commit until the rebalance is through (RebalanceInProgressException), and only the forwarder's own next poll takes
     * it through: it retried the commit instead, for ever, and exported nothing more. Until the commit goes through, it
     * exports nothing new: it went on exporting and committing nothing for as long as the rebalance lasted (a dead
     * member's session, a broker's restart), all of which the next owner of its partitions sent again if it died then,
     * a tenth of the spans in a soak that killed an instance every 90 s.
     */
    @Test
    void aForwarderWhoseCommitIsRefusedMidRebalanceGoesOnPollingAndExportsWhatComesNextOnceItCommits() throws Exception {
        Topics topics = Topics.fresh();
        MeterRegistry registry = new SimpleMeterRegistry();
        AtomicBoolean slow = new AtomicBoolean();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
             SpanForwarder forwarder = forwarder(topics, receiver, Map.of(), Map.of(), registry)) {
            receiver.delaySpansMatching(span -> slow.get(), Duration.ofSeconds(8));
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords);
            receiver.awaitSpans(spanIds.size(), Duration.ofSeconds(60));
            try (KafkaConsumer<byte[], byte[]> stalled = member(topics, Duration.ofSeconds(20))) {
                stalled.subscribe(List.of(topics.spans));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    stalled.poll(Duration.ofMillis(100));
                    return !stalled.assignment().isEmpty();
                });
                int kept = IntStream.range(0, 3).filter(p -> !stalled.assignment().contains(new TopicPartition(topics.spans, p)))
                        .findFirst().orElseThrow();
                slow.set(true);
                List<byte[]> answeredLate = spanRecords.subList(0, 10);
                int lateSpans = spansWithResourceAndScope(answeredLate).size();
                TopicRecords.produce(kafka.bootstrapServers(), topics.spans, kept, answeredLate);
                // the forwarder sends them at once, in one request; its answer comes eight seconds later, while it rejoins
                Thread.sleep(1_000);
                double retries = registry.counter("caddy.forward.kafka.retries").count();
                // its close waits for the rebalance it started: on a thread of its own
                CompletableFuture<Void> joined = CompletableFuture.runAsync(() -> {
                    try (KafkaConsumer<byte[], byte[]> joining = member(topics, Duration.ofMinutes(5))) {
                        joining.subscribe(List.of(topics.spans));
                        joining.poll(Duration.ofSeconds(1));
                    }
                });
                await().atMost(Duration.ofSeconds(20)).until(() -> registry.counter("caddy.forward.kafka.retries").count() > retries);
                slow.set(false);
                TopicRecords.produce(kafka.bootstrapServers(), topics.spans, kept, spanRecords);
                // the stalled member holds the rebalance for some ten seconds more
                Thread.sleep(3_000);
                assertThat(receiver.spans()).hasSize(spanIds.size() + lateSpans);
                receiver.awaitSpans(2 * spanIds.size() + lateSpans, Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> committedSum(topics) == endOffsets(topics));
                assertThat(receiver.spans()).hasSize(2 * spanIds.size() + lateSpans);
                joined.get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * caddy.forward.max-spans-per-second far under what comes: each request waits for the time the spans before it had,
     * and the forwarder polls meanwhile. It slept the wait on its own thread: past max.poll.interval.ms (5 minutes
     * unless set; batch-size spans at 1 a second are 8) the group took its partitions and refused its commit, and a
     * stop waited as long.
     */
    @Test
    void aRateLimitedForwarderGoesOnPollingWhileItsRequestsWait() throws Exception {
        Topics topics = Topics.fresh(1);
        MeterRegistry registry = new SimpleMeterRegistry();
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            TopicRecords.produce(kafka.bootstrapServers(), topics.spans, spanRecords.subList(0, 150));
            try (SpanForwarder forwarder = forwarder(topics, receiver, Map.of(),
                    Map.of("caddy.forward.max-spans-per-second", "20", "max.poll.interval.ms", "2000"), registry)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> committedSum(topics) == endOffsets(topics));

                assertThat(registry.counter("caddy.forward.rate.limited.seconds").count()).isGreaterThan(2);
                assertThat(registry.counter("caddy.forward.kafka.retries").count()).isZero();
                assertThat(receiver.spanIdsHex()).doesNotHaveDuplicates().hasSize(spansWithResourceAndScope(spanRecords.subList(0, 150)).size());
            }
        }
    }

    /** A member of the forwarders' group that is no forwarder: it polls only when the test does. */
    private static KafkaConsumer<byte[], byte[]> member(Topics topics, Duration maxPollInterval) {
        Settings settings = Settings.load(null, Map.of(), Map.of("bootstrap.servers", kafka.bootstrapServers(), "caddy.forward.group-id", topics.group));
        Map<String, Object> props = new HashMap<>(ForwarderSettings.from(settings).consumerProperties(settings.kafka()));
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) maxPollInterval.toMillis());
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A group on KIP-848's protocol has the broker assign: a client-side assignor is refused there, so none is set. */
    @Test
    void aGroupOnTheConsumerProtocolGetsNoClientSideAssignor() {
        Settings settings = Settings.load(null, Map.of(), Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.protocol", "consumer"));
        Map<String, Object> props = ForwarderSettings.from(settings).consumerProperties(settings.kafka());
        assertThat(props).doesNotContainKey(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()).close();
    }

    /** The forwarders' group as the broker describes it: its assignor and each member's partitions. */
    private static ConsumerGroupDescription group(Topics topics) throws ExecutionException, InterruptedException {
        try (Admin admin = kafka.admin()) {
            return admin.describeConsumerGroups(List.of(topics.group)).describedGroups().get(topics.group).get();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "6"})
    void aMaxInFlightOutsideWhatTheExporterRunsAtOnceIsRefusedNamingTheKey(String value) {
        Settings settings = Settings.load(null, Map.of(), Map.of("caddy.forward.max-in-flight", value));
        assertThatThrownBy(() -> ForwarderSettings.from(settings))
                .isInstanceOf(ConfigException.class)
                .hasMessage("caddy.forward.max-in-flight (CADDY_FORWARD_MAX_IN_FLIGHT): '" + value + "' is not an integer from 1 to 5");
    }
}
