package dev.caddylightstep.otlp;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.SpanFlags;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reads a spans-topic record, an OTLP {@code ExportTraceServiceRequest}, field by field into the SDK's span data
 * that OpenTelemetry's exporter sends. Building protobuf-java's message objects first, only to copy them again,
 * was most of the forwarder's own work; this reads each field once, in the wire format of
 * opentelemetry-proto's trace.proto, common.proto and resource.proto, by the field numbers its generated classes
 * declare, as {@link SpanRecordEncoder} writes them.
 *
 * <p>One SDK resource and one instrumentation scope are kept per distinct encoding. OpenTelemetry's exporter groups
 * the spans of a request by resource and scope identity, and caches their encoding by identity: spans that each
 * brought their own equal copy would each be sent under a resource of their own, encoded again every time.
 * Span events and links are not carried, as before: the pipeline writes none. An attribute value that is neither a
 * string, a boolean, an integer, a double nor an array of strings makes the record unexportable. Not thread-safe: each
 * forwarder has its own.
 */
public final class SpanRecordDecoder {
    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int VARINT = WireFormat.WIRETYPE_VARINT;
    private static final int FIXED64 = WireFormat.WIRETYPE_FIXED64;
    private static final int FIXED32 = WireFormat.WIRETYPE_FIXED32;
    private static final byte[] EMPTY = new byte[0];
    private static final HexFormat HEX = HexFormat.of();

    /** The spans topic holds a handful of resources; the bound keeps ever-new ones from growing the maps without end. */
    private static final int MAX_KEPT = 1024;

    private final Map<ByteString, Resource> resources = new HashMap<>();
    private final Map<ByteString, InstrumentationScopeInfo> scopes = new HashMap<>();

    /** What an encoded resource or scope becomes. */
    private interface Decoding<V> {
        V decode(ByteString encoded) throws IOException;
    }

    /**
     * The spans of one record, with their resources and scopes.
     *
     * @throws InvalidProtocolBufferException when the bytes are not an OTLP trace export, or carry what an export of
     *                                        this forwarder cannot (the message says which field)
     */
    public List<SpanData> decode(byte[] record) throws InvalidProtocolBufferException {
        CodedInputStream in = CodedInputStream.newInstance(record);
        // nested messages read later are views of the record's bytes, not copies
        in.enableAliasing(true);
        List<SpanData> spans = new ArrayList<>();
        try {
            int tag;
            while ((tag = in.readTag()) != 0) {
                if (isMessage(tag, ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER)) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    resourceSpans(in, spans);
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            // reading a byte array fails only on malformed bytes, with the exception above; this is the declared rest
            throw new InvalidProtocolBufferException(e);
        }
        return spans;
    }

    private void resourceSpans(CodedInputStream in, List<SpanData> spans) throws IOException {
        Resource resource = Resource.empty();
        List<ByteString> scopeSpans = new ArrayList<>(1);
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, ResourceSpans.RESOURCE_FIELD_NUMBER)) {
                resource = kept(resources, in.readBytes(), SpanRecordDecoder::resource);
            } else if (isMessage(tag, ResourceSpans.SCOPE_SPANS_FIELD_NUMBER)) {
                // the resource may come after its spans on the wire: read them once it is known
                scopeSpans.add(in.readBytes());
            } else {
                in.skipField(tag);
            }
        }
        for (ByteString bytes : scopeSpans) {
            scopeSpans(aliasing(bytes), resource, spans);
        }
    }

    private void scopeSpans(CodedInputStream in, Resource resource, List<SpanData> spans) throws IOException {
        InstrumentationScopeInfo scope = InstrumentationScopeInfo.empty();
        List<ByteString> encoded = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, ScopeSpans.SCOPE_FIELD_NUMBER)) {
                scope = kept(scopes, in.readBytes(), SpanRecordDecoder::scope);
            } else if (isMessage(tag, ScopeSpans.SPANS_FIELD_NUMBER)) {
                encoded.add(in.readBytes());
            } else {
                in.skipField(tag);
            }
        }
        for (ByteString bytes : encoded) {
            spans.add(span(aliasing(bytes), resource, scope));
        }
    }

    private static ProtoSpanData span(CodedInputStream in, Resource resource, InstrumentationScopeInfo scope) throws IOException {
        byte[] traceId = EMPTY;
        byte[] spanId = EMPTY;
        byte[] parentSpanId = EMPTY;
        String traceState = "";
        String name = "";
        int kind = 0;
        long start = 0;
        long end = 0;
        int flags = 0;
        StatusData status = StatusData.unset();
        AttributesBuilder attributes = Attributes.builder();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case (Span.TRACE_ID_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> traceId = in.readByteArray();
                case (Span.SPAN_ID_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> spanId = in.readByteArray();
                case (Span.TRACE_STATE_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> traceState = in.readStringRequireUtf8();
                case (Span.PARENT_SPAN_ID_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> parentSpanId = in.readByteArray();
                case (Span.NAME_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> name = in.readStringRequireUtf8();
                case (Span.KIND_FIELD_NUMBER << 3) | VARINT -> kind = in.readEnum();
                case (Span.START_TIME_UNIX_NANO_FIELD_NUMBER << 3) | FIXED64 -> start = in.readFixed64();
                case (Span.END_TIME_UNIX_NANO_FIELD_NUMBER << 3) | FIXED64 -> end = in.readFixed64();
                case (Span.ATTRIBUTES_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> keyValue(in, attributes);
                case (Span.STATUS_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> status = status(in);
                case (Span.FLAGS_FIELD_NUMBER << 3) | FIXED32 -> flags = in.readFixed32();
                default -> in.skipField(tag);
            }
        }
        TraceFlags traceFlags = TraceFlags.fromByte((byte) (flags & SpanFlags.SPAN_FLAGS_TRACE_FLAGS_MASK_VALUE));
        String traceIdHex = HEX.formatHex(traceId);
        SpanContext context = SpanContext.create(traceIdHex, HEX.formatHex(spanId), traceFlags, traceState(traceState));
        SpanContext parent = parentSpanId.length == 0 ? SpanContext.getInvalid()
                : SpanContext.createFromRemoteParent(traceIdHex, HEX.formatHex(parentSpanId), traceFlags, TraceState.getDefault());
        return new ProtoSpanData(context, parent, name, spanKind(kind), status, start, end, attributes.build(), resource, scope);
    }

    private static SpanKind spanKind(int kind) {
        return switch (kind) {
            case Span.SpanKind.SPAN_KIND_SERVER_VALUE -> SpanKind.SERVER;
            case Span.SpanKind.SPAN_KIND_CLIENT_VALUE -> SpanKind.CLIENT;
            case Span.SpanKind.SPAN_KIND_PRODUCER_VALUE -> SpanKind.PRODUCER;
            case Span.SpanKind.SPAN_KIND_CONSUMER_VALUE -> SpanKind.CONSUMER;
            default -> SpanKind.INTERNAL;
        };
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

    private static StatusData status(CodedInputStream in) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        String message = "";
        int code = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case (Status.MESSAGE_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> message = in.readStringRequireUtf8();
                case (Status.CODE_FIELD_NUMBER << 3) | VARINT -> code = in.readEnum();
                default -> in.skipField(tag);
            }
        }
        in.popLimit(limit);
        return switch (code) {
            case Status.StatusCode.STATUS_CODE_OK_VALUE -> StatusData.ok();
            case Status.StatusCode.STATUS_CODE_ERROR_VALUE -> StatusData.create(StatusCode.ERROR, message);
            default -> StatusData.unset();
        };
    }

    private static Resource resource(ByteString encoded) throws IOException {
        CodedInputStream in = encoded.newCodedInput();
        AttributesBuilder attributes = Attributes.builder();
        int tag;
        while ((tag = in.readTag()) != 0) {
            // the SDK's Resource has the short name here
            if (isMessage(tag, io.opentelemetry.proto.resource.v1.Resource.ATTRIBUTES_FIELD_NUMBER)) {
                keyValue(in, attributes);
            } else {
                in.skipField(tag);
            }
        }
        return Resource.create(attributes.build());
    }

    private static InstrumentationScopeInfo scope(ByteString encoded) throws IOException {
        CodedInputStream in = encoded.newCodedInput();
        String name = "";
        String version = "";
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, InstrumentationScope.NAME_FIELD_NUMBER)) {
                name = in.readStringRequireUtf8();
            } else if (isMessage(tag, InstrumentationScope.VERSION_FIELD_NUMBER)) {
                version = in.readStringRequireUtf8();
            } else {
                in.skipField(tag);
            }
        }
        return InstrumentationScopeInfo.builder(name).setVersion(version.isEmpty() ? null : version).build();
    }

    /** One {@code KeyValue}, whose length comes next, into {@code attributes}. */
    private static void keyValue(CodedInputStream in, AttributesBuilder attributes) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        String key = null;
        ByteString valueBeforeKey = null;
        boolean valued = false;
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, KeyValue.KEY_FIELD_NUMBER)) {
                key = in.readStringRequireUtf8();
            } else if (isMessage(tag, KeyValue.VALUE_FIELD_NUMBER) && key != null) {
                int valueLimit = in.pushLimit(in.readRawVarint32());
                anyValue(in, key, attributes);
                in.popLimit(valueLimit);
                valued = true;
            } else if (isMessage(tag, KeyValue.VALUE_FIELD_NUMBER)) {
                // allowed on the wire, though no encoder writes the value first
                valueBeforeKey = in.readBytes();
            } else {
                in.skipField(tag);
            }
        }
        in.popLimit(limit);
        if (valueBeforeKey != null) {
            anyValue(valueBeforeKey.newCodedInput(), key == null ? "" : key, attributes);
        } else if (!valued) {
            throw new InvalidProtocolBufferException("attribute " + key + " has no value");
        }
    }

    /** The value of {@code key}, an {@code AnyValue} up to the current limit. */
    private static void anyValue(CodedInputStream in, String key, AttributesBuilder attributes) throws IOException {
        int tag = in.readTag();
        switch (tag) {
            case (AnyValue.STRING_VALUE_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> attributes.put(key, in.readStringRequireUtf8());
            case (AnyValue.BOOL_VALUE_FIELD_NUMBER << 3) | VARINT -> attributes.put(key, in.readBool());
            case (AnyValue.INT_VALUE_FIELD_NUMBER << 3) | VARINT -> attributes.put(key, in.readInt64());
            case (AnyValue.DOUBLE_VALUE_FIELD_NUMBER << 3) | FIXED64 -> attributes.put(key, in.readDouble());
            case (AnyValue.ARRAY_VALUE_FIELD_NUMBER << 3) | LENGTH_DELIMITED -> attributes.put(AttributeKey.stringArrayKey(key), strings(in));
            case 0 -> throw new InvalidProtocolBufferException("attribute " + key + " has no value");
            default -> throw new InvalidProtocolBufferException("attribute " + key + " has a value this forwarder does not carry (field "
                    + WireFormat.getTagFieldNumber(tag) + " of AnyValue)");
        }
        in.skipMessage();
    }

    /** An {@code ArrayValue} of strings, whose length comes next. */
    private static List<String> strings(CodedInputStream in) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        List<String> values = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, ArrayValue.VALUES_FIELD_NUMBER)) {
                int valueLimit = in.pushLimit(in.readRawVarint32());
                int valueTag = in.readTag();
                if (valueTag == ((AnyValue.STRING_VALUE_FIELD_NUMBER << 3) | LENGTH_DELIMITED)) {
                    values.add(in.readStringRequireUtf8());
                } else {
                    // the SDK's array attributes hold one type: as protobuf-java reads them, another value is ""
                    values.add("");
                    if (valueTag != 0) {
                        in.skipField(valueTag);
                    }
                }
                in.skipMessage();
                in.popLimit(valueLimit);
            } else {
                in.skipField(tag);
            }
        }
        in.popLimit(limit);
        return values;
    }

    private static <V> V kept(Map<ByteString, V> known, ByteString encoded, Decoding<V> decoding) throws IOException {
        V value = known.get(encoded);
        if (value != null) {
            return value;
        }
        if (known.size() >= MAX_KEPT) {
            known.clear();
        }
        value = decoding.decode(encoded);
        // the key is a view of a whole record's bytes: keep only its own
        known.put(ByteString.copyFrom(encoded.asReadOnlyByteBuffer()), value);
        return value;
    }

    private static CodedInputStream aliasing(ByteString bytes) {
        CodedInputStream in = bytes.newCodedInput();
        in.enableAliasing(true);
        return in;
    }

    private static boolean isMessage(int tag, int field) {
        return tag == ((field << 3) | LENGTH_DELIMITED);
    }
}
