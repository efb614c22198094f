package dev.caddylightstep.span;

import static dev.caddylightstep.testing.capture.CaddyCapture.first;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The spans of a commit leave as few records as the partitions of the spans topic they go to, each span once, a trace's
 * spans on its partition and in their order, no record fuller than caddy.spans.max-batch or the bytes a record may hold,
 * and spans that came after the last look before a commit in that commit's changelog until they are sent.
 */
class SpanBatchingTest {
    private static final int PARTITIONS = 6;
    private static final List<String> ACCESS_LOG = CaddyCapture.lines("access.log");
    private static final String PROXIED = first("stages.log", request("GET", "/api/orders?db=20&cache=5", 200));
    private static final String HEALTH = first("stages.log", request("GET", "/health", 200));
    private static final String BATCHES_CHANGELOG = "caddy-lightstep-" + SpanStage.BATCHES_STORE + "-changelog";
    private static final HexFormat HEX = HexFormat.of();

    /** The partition the producer's own default partitioner gives a record of this key, among {@code partitions}. */
    private static int defaultPartition(String key, int partitions) {
        return BuiltInPartitioner.partitionForKey(Serdes.String().serializer().serialize("caddy.spans", key), partitions);
    }

    private static List<Span> spansOf(byte[] record) {
        try {
            return ExportTraceServiceRequest.parseFrom(record).getResourceSpansList().stream()
                    .flatMap(r -> r.getScopeSpansList().stream()).flatMap(s -> s.getSpansList().stream()).toList();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("a record of the spans topic is not an ExportTraceServiceRequest", e);
        }
    }

    /** Distinct real health checks, from clients at distinct ports: one span each. */
    private static String[] healthChecks(int count, String uri) {
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            lines[i] = CaddyCapture.withRequestField(CaddyCapture.withRequestField(HEALTH, "remote_port", Integer.toString(40_000 + i)), "uri", uri);
        }
        return lines;
    }

    private static String traceId(Span span) {
        return HEX.formatHex(span.getTraceId().toByteArray());
    }

    private static String spanId(Span span) {
        return HEX.formatHex(span.getSpanId().toByteArray());
    }

    /** The line as a caller that continues trace {@code traceId} would have had it logged, at another path. */
    private static String inTrace(String line, String traceId, String parentId, String uri) {
        ObjectNode node = (ObjectNode) CaddyCapture.tree(CaddyCapture.withRequestField(line, "uri", uri));
        ((ObjectNode) node.get("request").get("headers")).putArray("Traceparent").add("00-" + traceId + "-" + parentId + "-01");
        return CaddyCapture.write(node);
    }

    @Test
    void theSpansOfACommitLeaveAsOneRecordPerPartitionTheirTracesGoTo() {
        List<Span> oneByOne;
        try (PipelineHarness reference = PipelineHarness.start()) {
            oneByOne = reference.sendAll(ACCESS_LOG).spans();
        }
        try (PipelineHarness p = PipelineHarness.start(Map.of(), 0, PARTITIONS)) {
            List<TestRecord<String, byte[]>> records = p.sendWithinOneCommit(ACCESS_LOG.toArray(String[]::new)).spanRecordsWithKeys();

            long partitionsUsed = oneByOne.stream().map(span -> defaultPartition(traceId(span), PARTITIONS)).distinct().count();
            assertThat(oneByOne).hasSizeGreaterThan(300);
            assertThat(records).hasSize((int) partitionsUsed);
            assertThat(records).allSatisfy(record -> assertThat(spansOf(record.value()))
                    .allSatisfy(span -> assertThat(defaultPartition(traceId(span), PARTITIONS)).isEqualTo(defaultPartition(record.key(), PARTITIONS))));
            assertThat(p.spans().stream().map(SpanBatchingTest::spanId))
                    .containsExactlyInAnyOrderElementsOf(oneByOne.stream().map(SpanBatchingTest::spanId).toList());
        }
    }

    /**
     * The spans of one resource (a Caddy host and logger) share one ResourceSpans and its one ScopeSpans in their
     * record, as an OpenTelemetry SDK's exporter groups them, rather than each request carrying a copy of its resource;
     * the bytes are those protobuf-java writes for that message.
     */
    @Test
    void aRecordHoldsEachResourceOnceWithAllItsSpans() throws InvalidProtocolBufferException {
        try (PipelineHarness p = PipelineHarness.start()) {
            List<byte[]> records = p.sendWithinOneCommit(ACCESS_LOG.toArray(String[]::new)).spanRecords();

            int resourceSpans = 0;
            for (byte[] record : records) {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(record);
                assertThat(request.toByteArray()).isEqualTo(record);
                assertThat(request.getResourceSpansList()).extracting(ResourceSpans::getResource).doesNotHaveDuplicates();
                assertThat(request.getResourceSpansList()).allSatisfy(resource -> assertThat(resource.getScopeSpansList()).hasSize(1));
                resourceSpans += request.getResourceSpansCount();
            }
            // the capture's two hosts, in each record: hundreds of spans under a handful of resources
            assertThat(p.spans()).hasSizeGreaterThan(300);
            assertThat(resourceSpans).isLessThanOrEqualTo(2 * records.size());
        }
    }

    @Test
    void aTracesSpansKeepTheirOrderInTheirRecord() {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        List<String> uris = List.of("/api/orders/first", "/api/orders/second", "/api/orders/third");
        try (PipelineHarness p = PipelineHarness.start(Map.of(), 0, PARTITIONS)) {
            p.sendWithinOneCommit(inTrace(PROXIED, trace, "00f067aa0ba902b7", uris.get(0)), HEALTH, ACCESS_LOG.get(3),
                    inTrace(HEALTH, trace, "00f067aa0ba902b8", uris.get(1)), ACCESS_LOG.get(7),
                    inTrace(PROXIED, trace, "00f067aa0ba902b9", uris.get(2)));

            List<Span> ofTrace = p.spans().stream().filter(span -> traceId(span).equals(trace) && span.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                    .toList();
            assertThat(ofTrace).extracting(span -> (String) PipelineHarness.attributes(span).get("url.path")).containsExactlyElementsOf(uris);
            assertThat(p.spanRecordsWithKeys()).filteredOn(record -> spansOf(record.value()).stream().anyMatch(span -> traceId(span).equals(trace)))
                    .singleElement();
        }
    }

    @Test
    void aRecordHoldsNoMoreSpansThanMaxBatchAndIsSentOnceFull() {
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.spans.max-batch", "5"))) {
            p.sendWithinOneCommit(healthChecks(23, "/health"));

            assertThat(p.spans()).hasSize(23);
            // full batches as the spans came, then what was left when the commit came
            assertThat(p.spanRecords()).extracting(record -> spansOf(record).size()).containsExactly(5, 5, 5, 5, 3);
        }
    }

    @Test
    void aRequestAndItsUpstreamCallCountAsTwoSpansOfTheirBatch() {
        String[] proxied = new String[5];
        for (int i = 0; i < proxied.length; i++) {
            proxied[i] = CaddyCapture.withRequestField(PROXIED, "remote_port", Integer.toString(40_000 + i));
        }
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.spans.max-batch", "5"))) {
            p.sendWithinOneCommit(proxied);

            assertThat(p.spans()).hasSize(10);
            // a request's two spans never split: a batch of four is full for the next two
            assertThat(p.spanRecords()).extracting(record -> spansOf(record).size()).containsExactly(4, 4, 2);
        }
    }

    @Test
    void aRecordHoldsNoMoreBytesThanARecordMay() {
        // 20,000 bytes a record: producer.max.request.size less the headroom for key and headers
        int limit = 20_000;
        try (PipelineHarness p = PipelineHarness.start(Map.of("producer.max.request.size", Integer.toString(65_536 + limit),
                "caddy.log.max-line-bytes", Integer.toString(limit)))) {
            p.sendWithinOneCommit(healthChecks(30, "/health?note=" + "x".repeat(3_000)));

            List<byte[]> records = p.spanRecords();
            assertThat(p.spans()).hasSize(30);
            assertThat(records).hasSizeGreaterThan(1).allSatisfy(record -> assertThat(record.length).isLessThanOrEqualTo(limit));
            // each record but the last was sent because the next span would not have fitted
            int spanBytes = records.get(0).length / spansOf(records.get(0)).size();
            assertThat(records.subList(0, records.size() - 1)).allSatisfy(record -> assertThat(record.length + spanBytes).isGreaterThan(limit));
        }
    }

    /**
     * Bytes that are not UTF-8 in the path: each becomes U+FFFD in the span, three bytes, so a line within
     * caddy.log.max-line-bytes makes a span larger than a record may be.
     */
    @Test
    void aSpanLargerThanARecordMayBeIsATooLargeDeadLetterOfItsLine() {
        String[] around = HEALTH.split("\"uri\":\"/health\"");
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        line.writeBytes((around[0] + "\"uri\":\"/").getBytes(StandardCharsets.UTF_8));
        byte[] notUtf8 = new byte[100_000];
        java.util.Arrays.fill(notUtf8, (byte) 0xFF);
        line.writeBytes(notUtf8);
        line.writeBytes(("\"" + around[1]).getBytes(StandardCharsets.UTF_8));
        try (PipelineHarness p = PipelineHarness.start(Map.of("producer.max.request.size", "262144", "caddy.log.max-line-bytes", "196608"))) {
            p.sendBytes(line.toByteArray()).send(HEALTH);

            assertThat(p.deadLetters()).singleElement().satisfies(letter -> {
                assertThat(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                assertThat(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.STAGE)).isEqualTo("span");
                assertThat(letter.value()).isEqualTo(line.toByteArray());
            });
            assertThat(p.spans()).singleElement().satisfies(span -> assertThat(PipelineHarness.attributes(span).get("url.path")).isEqualTo("/health"));
        }
    }

    /** The forwarder would dead-letter a record larger than it may export whole: a span that large alone goes, its batch stays. */
    @Test
    void aSpanLargerThanTheForwarderExportsIsATooLargeDeadLetterAndItsBatchGoesOn() {
        String huge = healthChecks(1, "/health?pad=" + "y".repeat(30_000))[0];
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.forward.max-export-bytes", "20000"))) {
            String[] others = healthChecks(2, "/health");
            p.sendWithinOneCommit(others[0], huge, others[1]);

            assertThat(p.deadLetters()).singleElement().satisfies(letter -> {
                assertThat(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.REASON)).isEqualTo("too-large");
                assertThat(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.STAGE)).isEqualTo("span");
                assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo(huge);
            });
            assertThat(p.spanRecords()).singleElement().satisfies(record -> assertThat(spansOf(record)).hasSize(2));
        }
    }

    @Test
    void spansAfterTheLastLookBeforeACommitAreInItsChangelogUntilTheNextLookSendsThem() {
        try (PipelineHarness p = PipelineHarness.start()) {
            var changelog = p.driver().createOutputTopic(BATCHES_CHANGELOG, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
            // the driver commits after each line, and no time passes for a look before it
            p.sendWithoutTimePassing(healthChecks(2, "/health"));

            assertThat(p.spanRecords()).isEmpty();
            List<byte[]> saved = changelog.readValuesToList();
            assertThat(saved).extracting(batch -> spansOf(batch).size()).containsExactly(1, 2);

            p.sendWithinOneCommit();
            assertThat(p.spanRecords()).singleElement().isEqualTo(saved.get(1));
            assertThat(changelog.readValuesToList()).singleElement().isNull();
        }
    }
}
