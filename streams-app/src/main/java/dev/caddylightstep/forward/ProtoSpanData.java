package dev.caddylightstep.forward;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.SpanFlags;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.HexFormat;
import java.util.List;

/**
 * An OTLP span read from the spans topic, seen through the SDK's SpanData, so that OpenTelemetry's own OTLP
 * exporter sends it: its endpoint, protocol, headers, compression and TLS settings all apply unchanged.
 */
final class ProtoSpanData implements SpanData {
    private static final HexFormat HEX = HexFormat.of();

    private final Span span;
    private final Resource resource;
    private final InstrumentationScopeInfo scope;
    private final SpanContext context;
    private final SpanContext parent;
    private final Attributes attributes;

    ProtoSpanData(Span span, Resource resource, InstrumentationScopeInfo scope) {
        this.span = span;
        this.resource = resource;
        this.scope = scope;
        TraceFlags flags = TraceFlags.fromByte((byte) (span.getFlags() & SpanFlags.SPAN_FLAGS_TRACE_FLAGS_MASK_VALUE));
        String traceId = HEX.formatHex(span.getTraceId().toByteArray());
        this.context = SpanContext.create(traceId, HEX.formatHex(span.getSpanId().toByteArray()), flags, traceState(span.getTraceState()));
        this.parent = span.getParentSpanId().isEmpty() ? SpanContext.getInvalid()
                : SpanContext.createFromRemoteParent(traceId, HEX.formatHex(span.getParentSpanId().toByteArray()), flags, TraceState.getDefault());
        this.attributes = attributes(span.getAttributesList());
    }

    static Resource resource(io.opentelemetry.proto.resource.v1.Resource proto) {
        return Resource.create(attributes(proto.getAttributesList()));
    }

    static InstrumentationScopeInfo scope(InstrumentationScope proto) {
        return InstrumentationScopeInfo.builder(proto.getName()).setVersion(proto.getVersion().isEmpty() ? null : proto.getVersion()).build();
    }

    static Attributes attributes(List<KeyValue> keyValues) {
        AttributesBuilder builder = Attributes.builder();
        for (KeyValue kv : keyValues) {
            AnyValue v = kv.getValue();
            switch (v.getValueCase()) {
                case STRING_VALUE -> builder.put(kv.getKey(), v.getStringValue());
                case INT_VALUE -> builder.put(kv.getKey(), v.getIntValue());
                case BOOL_VALUE -> builder.put(kv.getKey(), v.getBoolValue());
                case DOUBLE_VALUE -> builder.put(kv.getKey(), v.getDoubleValue());
                case ARRAY_VALUE -> builder.put(AttributeKey.stringArrayKey(kv.getKey()),
                        v.getArrayValue().getValuesList().stream().map(AnyValue::getStringValue).toList());
                default -> throw new IllegalArgumentException("attribute " + kv.getKey() + " has a value this forwarder does not carry: " + v.getValueCase());
            }
        }
        return builder.build();
    }

    private static TraceState traceState(String w3c) {
        if (w3c.isEmpty()) {
            return TraceState.getDefault();
        }
        TraceStateBuilder builder = TraceState.builder();
        String[] members = w3c.split(",");
        // W3C keeps the most recently updated member first; the builder puts each new member first
        for (int i = members.length - 1; i >= 0; i--) {
            int eq = members[i].indexOf('=');
            if (eq > 0) {
                builder.put(members[i].substring(0, eq).trim(), members[i].substring(eq + 1).trim());
            }
        }
        return builder.build();
    }

    @Override
    public String getName() {
        return span.getName();
    }

    @Override
    public SpanKind getKind() {
        return switch (span.getKind()) {
            case SPAN_KIND_SERVER -> SpanKind.SERVER;
            case SPAN_KIND_CLIENT -> SpanKind.CLIENT;
            case SPAN_KIND_PRODUCER -> SpanKind.PRODUCER;
            case SPAN_KIND_CONSUMER -> SpanKind.CONSUMER;
            default -> SpanKind.INTERNAL;
        };
    }

    @Override
    public SpanContext getSpanContext() {
        return context;
    }

    @Override
    public SpanContext getParentSpanContext() {
        return parent;
    }

    @Override
    public StatusData getStatus() {
        return switch (span.getStatus().getCode()) {
            case STATUS_CODE_ERROR -> StatusData.create(StatusCode.ERROR, span.getStatus().getMessage());
            case STATUS_CODE_OK -> StatusData.ok();
            default -> StatusData.unset();
        };
    }

    @Override
    public long getStartEpochNanos() {
        return span.getStartTimeUnixNano();
    }

    @Override
    public Attributes getAttributes() {
        return attributes;
    }

    @Override
    public List<EventData> getEvents() {
        return List.of();
    }

    @Override
    public List<LinkData> getLinks() {
        return List.of();
    }

    @Override
    public long getEndEpochNanos() {
        return span.getEndTimeUnixNano();
    }

    @Override
    public boolean hasEnded() {
        return true;
    }

    @Override
    public int getTotalRecordedEvents() {
        return 0;
    }

    @Override
    public int getTotalRecordedLinks() {
        return 0;
    }

    @Override
    public int getTotalAttributeCount() {
        return attributes.size();
    }

    @Override
    @SuppressWarnings("deprecation")
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
        return InstrumentationLibraryInfo.create(scope.getName(), scope.getVersion());
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
        return scope;
    }

    @Override
    public Resource getResource() {
        return resource;
    }
}
