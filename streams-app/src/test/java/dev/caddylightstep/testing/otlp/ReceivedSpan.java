package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** One span as it arrived on the wire, kept with the resource and scope it was exported under. */
public record ReceivedSpan(Span span, Resource resource, InstrumentationScope scope) {
    private static final HexFormat HEX = HexFormat.of();

    /** Every span of an export request, in the order the client sent them. */
    static List<ReceivedSpan> allOf(ExportTraceServiceRequest request) {
        List<ReceivedSpan> spans = new ArrayList<>();
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    spans.add(new ReceivedSpan(span, resourceSpans.getResource(), scopeSpans.getScope()));
                }
            }
        }
        return spans;
    }

    public String name() {
        return span.getName();
    }

    /** The span id in the lower-case hex that W3C traceparent and the OpenTelemetry APIs use. */
    public String spanIdHex() {
        return HEX.formatHex(span.getSpanId().toByteArray());
    }

    public String traceIdHex() {
        return HEX.formatHex(span.getTraceId().toByteArray());
    }

    /** The parent span id in hex, empty for a root span. */
    public String parentSpanIdHex() {
        return HEX.formatHex(span.getParentSpanId().toByteArray());
    }

    public Optional<AnyValue> attribute(String key) {
        return valueOf(span.getAttributesList(), key);
    }

    public Optional<AnyValue> resourceAttribute(String key) {
        return valueOf(resource.getAttributesList(), key);
    }

    private static Optional<AnyValue> valueOf(List<KeyValue> attributes, String key) {
        return attributes.stream().filter(kv -> kv.getKey().equals(key)).map(KeyValue::getValue).findFirst();
    }
}
