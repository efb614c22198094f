package dev.caddylightstep.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.capture.CaddyCapture;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forwarder and the watches count a record's spans and requests without decoding them, and takes a refused record apart span by span. */
class SpanRecordReaderTest {
    private static List<ExportTraceServiceRequest> written;

    @BeforeAll
    static void writeSpans() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log"));
            written = p.exportRequests();
        }
    }

    /** Records joined byte for byte, which protobuf reads as one request holding all their spans. */
    private static byte[] joined(List<ExportTraceServiceRequest> requests) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        requests.forEach(request -> bytes.writeBytes(request.toByteArray()));
        return bytes.toByteArray();
    }

    /** A record of several resources, and a resource of two scopes, one of them with three spans. */
    private static ExportTraceServiceRequest severalResourcesAndScopes() {
        ResourceSpans first = written.get(0).getResourceSpans(0);
        ScopeSpans threeSpans = first.getScopeSpans(0).toBuilder().clearSpans().addAllSpans(List.of(span(1), span(2), span(3)))
                .setScope(InstrumentationScope.newBuilder().setName("another")).build();
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(first.toBuilder().addScopeSpans(threeSpans))
                .addResourceSpans(written.get(1).getResourceSpans(0))
                .build();
    }

    private static Span span(int id) {
        return written.get(0).getResourceSpans(0).getScopeSpans(0).getSpans(0).toBuilder()
                .setSpanId(ByteString.copyFrom(new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) id})).build();
    }

    private static int spansIn(ExportTraceServiceRequest request) {
        return request.getResourceSpansList().stream().flatMap(r -> r.getScopeSpansList().stream()).mapToInt(ScopeSpans::getSpansCount).sum();
    }

    @Test
    void theSpansOfEveryResourceAndScopeAreCounted() throws InvalidProtocolBufferException {
        ExportTraceServiceRequest record = severalResourcesAndScopes();

        assertThat(SpanRecordReader.spanCount(record.toByteArray())).isEqualTo(spansIn(record)).isEqualTo(5);
    }

    @Test
    void recordsJoinedCountAsTheSumOfTheirSpans() throws InvalidProtocolBufferException {
        List<ExportTraceServiceRequest> records = List.of(written.get(0), severalResourcesAndScopes(), written.get(2));

        assertThat(SpanRecordReader.spanCount(joined(records))).isEqualTo(records.stream().mapToInt(SpanRecordReaderTest::spansIn).sum());
    }

    @Test
    void anEmptyRecordHoldsNoSpans() throws InvalidProtocolBufferException {
        assertThat(SpanRecordReader.spanCount(new byte[0])).isZero();
    }

    @Test
    void aCaddyLineIsNotASpanRecord() {
        for (String line : CaddyCapture.lines("access.log")) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> SpanRecordReader.spanCount(bytes)).isInstanceOf(InvalidProtocolBufferException.class);
        }
    }

    @Test
    void aRecordOfManyRequestsCountsEachOnceHoweverManySpansItHas() throws InvalidProtocolBufferException {
        List<ExportTraceServiceRequest> proxied;
        // behind Caddy's reverse proxy: a request has its SERVER span and its upstream's CLIENT span
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("stages.log"));
            proxied = p.exportRequests();
        }
        byte[] record = joined(proxied);
        long servers = proxied.stream().flatMap(request -> request.getResourceSpansList().stream())
                .flatMap(resource -> resource.getScopeSpansList().stream()).flatMap(scope -> scope.getSpansList().stream())
                .filter(span -> span.getKind() == Span.SpanKind.SPAN_KIND_SERVER).count();

        assertThat((long) SpanRecordReader.requestCount(record)).isEqualTo(servers).isLessThan(SpanRecordReader.spanCount(record));
    }

    @Test
    void aCaddyLineHoldsNoRequestsSpans() {
        for (String line : CaddyCapture.lines("access.log")) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> SpanRecordReader.requestCount(bytes)).isInstanceOf(InvalidProtocolBufferException.class);
        }
    }

    @Test
    void aRecordCutShortIsNotASpanRecord() {
        byte[] record = severalResourcesAndScopes().toByteArray();
        byte[] cut = Arrays.copyOf(record, record.length - 3);

        assertThatThrownBy(() -> SpanRecordReader.spanCount(cut)).isInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void takenApartEachSpanKeepsItsResourceAndScope() throws InvalidProtocolBufferException {
        ExportTraceServiceRequest record = severalResourcesAndScopes();
        List<String> expected = new ArrayList<>();
        for (ResourceSpans resourceSpans : record.getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    expected.add(resourceSpans.getResource() + "|" + scopeSpans.getScope() + "|" + span);
                }
            }
        }

        List<byte[]> apart = SpanRecordReader.eachSpan(record.toByteArray(), Long.MAX_VALUE).orElseThrow();

        List<String> actual = new ArrayList<>();
        for (byte[] one : apart) {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(one);
            assertThat(spansIn(request)).isOne();
            ResourceSpans resourceSpans = request.getResourceSpans(0);
            ScopeSpans scopeSpans = resourceSpans.getScopeSpans(0);
            actual.add(resourceSpans.getResource() + "|" + scopeSpans.getScope() + "|" + scopeSpans.getSpans(0));
        }
        assertThat(actual).isEqualTo(expected);
    }

    /**
     * A record of another producer's can hold many spans under one large resource, which each span apart would copy:
     * 2,000 empty spans under a 100 KB resource are 200 MB apart. Past the bound asked for, nothing is made.
     */
    @Test
    void spansThatWouldTakeMoreThanTheBoundApartAreNotTakenApart() throws InvalidProtocolBufferException {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (int i = 0; i < 2_000; i++) {
            scope.addSpans(Span.newBuilder().setName("s" + i));
        }
        byte[] record = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("large")
                        .setValue(AnyValue.newBuilder().setStringValue("x".repeat(100_000)))))
                .addScopeSpans(scope)).build().toByteArray();

        assertThat(SpanRecordReader.eachSpan(record, 4L * record.length)).isEmpty();
        assertThat(SpanRecordReader.eachSpan(record, Long.MAX_VALUE)).hasValueSatisfying(apart -> assertThat(apart).hasSize(2_000));
    }

    @Test
    void aSpanIsNamedByItsIdsInHex() throws InvalidProtocolBufferException {
        Span span = written.get(3).getResourceSpans(0).getScopeSpans(0).getSpans(0);
        String expected = "span " + HexFormat.of().formatHex(span.getSpanId().toByteArray()) + " of trace "
                + HexFormat.of().formatHex(span.getTraceId().toByteArray());

        assertThat(SpanRecordReader.firstSpanName(written.get(3).toByteArray())).isEqualTo(expected);
    }
}
