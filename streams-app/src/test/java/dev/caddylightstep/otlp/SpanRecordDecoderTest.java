package dev.caddylightstep.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forwarder reads span records field by field: what it hands the exporter must be what the pipeline wrote. */
class SpanRecordDecoderTest {

    @Test
    void everyCapturedRequestIsExportedAsThePipelineWroteIt() throws IOException {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.identity("alice", "staff", "acme", "admin").identity("bob", "customers", "acme");
            p.sendAll(CaddyCapture.lines("access.log"));
            List<ExportTraceServiceRequest> written = p.exportRequests();
            assertThat(written).hasSizeGreaterThan(10);
            SpanRecordDecoder decoder = new SpanRecordDecoder();

            for (ExportTraceServiceRequest record : written) {
                List<SpanData> decoded = decoder.decode(record.toByteArray());

                ExportTraceServiceRequest exported = reExported(decoded);
                assertThat(normalised(exported.getResourceSpans(0))).isEqualTo(normalised(record.getResourceSpans(0)));
            }
        }
    }

    @Test
    void equalResourcesAndScopesBecomeTheSameSdkObjects() throws IOException {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log").subList(0, 2));
            List<ExportTraceServiceRequest> written = p.exportRequests();
            SpanRecordDecoder decoder = new SpanRecordDecoder();

            SpanData first = decoder.decode(written.get(0).toByteArray()).get(0);
            SpanData second = decoder.decode(written.get(1).toByteArray()).get(0);

            assertThat(second.getResource()).isSameAs(first.getResource());
            assertThat(second.getInstrumentationScopeInfo()).isSameAs(first.getInstrumentationScopeInfo());
        }
    }

    @Test
    void aResourceWrittenAfterItsSpansStillAppliesToThem() throws IOException {
        ResourceSpans resourceSpans = sample();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        CodedOutputStream innerOut = CodedOutputStream.newInstance(inner);
        innerOut.writeMessage(2, resourceSpans.getScopeSpans(0));
        innerOut.writeMessage(1, resourceSpans.getResource());
        innerOut.flush();
        out.writeBytes(1, ByteString.copyFrom(inner.toByteArray()));
        out.flush();

        SpanData span = new SpanRecordDecoder().decode(bytes.toByteArray()).get(0);

        assertThat(span.getResource().getAttributes().asMap()).hasSize(resourceSpans.getResource().getAttributesCount());
        assertThat(span.getName()).isEqualTo(resourceSpans.getScopeSpans(0).getSpans(0).getName());
    }

    @Test
    void anAttributeValueTheSdkCannotHoldIsRefusedNamingTheAttribute() {
        ResourceSpans resourceSpans = sample();
        Span withMap = resourceSpans.getScopeSpans(0).getSpans(0).toBuilder().addAttributes(KeyValue.newBuilder().setKey("edge.extra")
                .setValue(AnyValue.newBuilder().setKvlistValue(KeyValueList.getDefaultInstance()))).build();
        byte[] record = ExportTraceServiceRequest.newBuilder().addResourceSpans(resourceSpans.toBuilder()
                .setScopeSpans(0, resourceSpans.getScopeSpans(0).toBuilder().setSpans(0, withMap))).build().toByteArray();

        assertThatThrownBy(() -> new SpanRecordDecoder().decode(record))
                .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("edge.extra");
    }

    @Test
    void bytesThatAreNotAnOtlpExportAreRefused() {
        byte[] line = CaddyCapture.lines("access.log").get(0).getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThatThrownBy(() -> new SpanRecordDecoder().decode(line)).isInstanceOf(InvalidProtocolBufferException.class);
    }

    /** One span the pipeline wrote for a captured request. */
    private static ResourceSpans sample() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(CaddyCapture.lines("access.log").get(0));
            return p.exportRequests().get(0).getResourceSpans(0);
        }
    }

    /** What OpenTelemetry's exporter puts on the wire for these spans. */
    private static ExportTraceServiceRequest reExported(List<SpanData> spans) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TraceRequestMarshaler.create(spans).writeBinaryTo(bytes);
        return ExportTraceServiceRequest.parseFrom(bytes.toByteArray());
    }

    /**
     * The SDK keeps attributes sorted by key, where the pipeline writes them in the conventions' order; and it writes an
     * unset status as an empty message, where the pipeline leaves it out: the same on the wire's terms.
     */
    private static ResourceSpans normalised(ResourceSpans resourceSpans) {
        ResourceSpans.Builder builder = resourceSpans.toBuilder();
        builder.getResourceBuilder().clearAttributes().addAllAttributes(sorted(resourceSpans.getResource().getAttributesList()));
        List<Span> spans = new ArrayList<>();
        for (Span span : resourceSpans.getScopeSpans(0).getSpansList()) {
            Span.Builder normalisedSpan = span.toBuilder().clearAttributes().addAllAttributes(sorted(span.getAttributesList()));
            if (span.getStatus().equals(Status.getDefaultInstance())) {
                normalisedSpan.clearStatus();
            }
            spans.add(normalisedSpan.build());
        }
        ScopeSpans scopeSpans = resourceSpans.getScopeSpans(0).toBuilder().clearSpans().addAllSpans(spans).build();
        return builder.clearScopeSpans().addScopeSpans(scopeSpans).build();
    }

    private static List<KeyValue> sorted(List<KeyValue> attributes) {
        return attributes.stream().sorted(Comparator.comparing(KeyValue::getKey)).toList();
    }
}
