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
 * opentelemetry-proto's trace.proto, common.proto and resource.proto.
 *
 * <p>One SDK resource and one instrumentation scope are kept per distinct encoding. OpenTelemetry's exporter groups
 * the spans of a request by resource and scope identity, and caches their encoding by identity: spans that each
 * brought their own equal copy would each be sent under a resource of their own, encoded again every time.
 * Span events and links are not carried, as before: the pipeline writes none. An attribute value that is neither a
 * string, a boolean, an integer, a double nor an array of strings makes the record unexportable. Not thread-safe: each
 * forwarder has its own.
 */
public final class SpanRecordDecoder {
    // field numbers of the OTLP messages read here
    private static final int REQUEST_RESOURCE_SPANS = 1;
    private static final int RESOURCE_SPANS_RESOURCE = 1;
    private static final int RESOURCE_SPANS_SCOPE_SPANS = 2;
    private static final int SCOPE_SPANS_SCOPE = 1;
    private static final int SCOPE_SPANS_SPANS = 2;
    private static final int RESOURCE_ATTRIBUTES = 1;
    private static final int SCOPE_NAME = 1;
    private static final int SCOPE_VERSION = 2;
    private static final int SPAN_TRACE_ID = 1;
    private static final int SPAN_SPAN_ID = 2;
    private static final int SPAN_TRACE_STATE = 3;
    private static final int SPAN_PARENT_SPAN_ID = 4;
    private static final int SPAN_NAME = 5;
    private static final int SPAN_KIND = 6;
    private static final int SPAN_START_TIME = 7;
    private static final int SPAN_END_TIME = 8;
    private static final int SPAN_ATTRIBUTES = 9;
    private static final int SPAN_STATUS = 15;
    private static final int SPAN_FLAGS = 16;
    private static final int STATUS_MESSAGE = 2;
    private static final int STATUS_CODE = 3;
    private static final int KEY_VALUE_KEY = 1;
    private static final int KEY_VALUE_VALUE = 2;
    private static final int ANY_STRING = 1;
    private static final int ANY_BOOL = 2;
    private static final int ANY_INT = 3;
    private static final int ANY_DOUBLE = 4;
    private static final int ANY_ARRAY = 5;
    private static final int ARRAY_VALUES = 1;
    private static final int SPAN_KIND_SERVER = 2;
    private static final int SPAN_KIND_CLIENT = 3;
    private static final int SPAN_KIND_PRODUCER = 4;
    private static final int SPAN_KIND_CONSUMER = 5;
    /** The W3C trace flags in the span's flags field (SpanFlags.SPAN_FLAGS_TRACE_FLAGS_MASK). */
    private static final int TRACE_FLAGS_MASK = 0xff;
    private static final int STATUS_CODE_OK = 1;
    private static final int STATUS_CODE_ERROR = 2;
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
                if (isMessage(tag, REQUEST_RESOURCE_SPANS)) {
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
            if (isMessage(tag, RESOURCE_SPANS_RESOURCE)) {
                resource = kept(resources, in.readBytes(), SpanRecordDecoder::resource);
            } else if (isMessage(tag, RESOURCE_SPANS_SCOPE_SPANS)) {
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
            if (isMessage(tag, SCOPE_SPANS_SCOPE)) {
                scope = kept(scopes, in.readBytes(), SpanRecordDecoder::scope);
            } else if (isMessage(tag, SCOPE_SPANS_SPANS)) {
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
                case (SPAN_TRACE_ID << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> traceId = in.readByteArray();
                case (SPAN_SPAN_ID << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> spanId = in.readByteArray();
                case (SPAN_TRACE_STATE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> traceState = in.readStringRequireUtf8();
                case (SPAN_PARENT_SPAN_ID << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> parentSpanId = in.readByteArray();
                case (SPAN_NAME << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> name = in.readStringRequireUtf8();
                case (SPAN_KIND << 3) | WireFormat.WIRETYPE_VARINT -> kind = in.readEnum();
                case (SPAN_START_TIME << 3) | WireFormat.WIRETYPE_FIXED64 -> start = in.readFixed64();
                case (SPAN_END_TIME << 3) | WireFormat.WIRETYPE_FIXED64 -> end = in.readFixed64();
                case (SPAN_ATTRIBUTES << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> keyValue(in, attributes);
                case (SPAN_STATUS << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> status = status(in);
                case (SPAN_FLAGS << 3) | WireFormat.WIRETYPE_FIXED32 -> flags = in.readFixed32();
                default -> in.skipField(tag);
            }
        }
        TraceFlags traceFlags = TraceFlags.fromByte((byte) (flags & TRACE_FLAGS_MASK));
        String traceIdHex = HEX.formatHex(traceId);
        SpanContext context = SpanContext.create(traceIdHex, HEX.formatHex(spanId), traceFlags, traceState(traceState));
        SpanContext parent = parentSpanId.length == 0 ? SpanContext.getInvalid()
                : SpanContext.createFromRemoteParent(traceIdHex, HEX.formatHex(parentSpanId), traceFlags, TraceState.getDefault());
        return new ProtoSpanData(context, parent, name, spanKind(kind), status, start, end, attributes.build(), resource, scope);
    }

    private static SpanKind spanKind(int kind) {
        return switch (kind) {
            case SPAN_KIND_SERVER -> SpanKind.SERVER;
            case SPAN_KIND_CLIENT -> SpanKind.CLIENT;
            case SPAN_KIND_PRODUCER -> SpanKind.PRODUCER;
            case SPAN_KIND_CONSUMER -> SpanKind.CONSUMER;
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
                case (STATUS_MESSAGE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> message = in.readStringRequireUtf8();
                case (STATUS_CODE << 3) | WireFormat.WIRETYPE_VARINT -> code = in.readEnum();
                default -> in.skipField(tag);
            }
        }
        in.popLimit(limit);
        return switch (code) {
            case STATUS_CODE_OK -> StatusData.ok();
            case STATUS_CODE_ERROR -> StatusData.create(StatusCode.ERROR, message);
            default -> StatusData.unset();
        };
    }

    private static Resource resource(ByteString encoded) throws IOException {
        CodedInputStream in = encoded.newCodedInput();
        AttributesBuilder attributes = Attributes.builder();
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (isMessage(tag, RESOURCE_ATTRIBUTES)) {
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
            if (isMessage(tag, SCOPE_NAME)) {
                name = in.readStringRequireUtf8();
            } else if (isMessage(tag, SCOPE_VERSION)) {
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
            if (isMessage(tag, KEY_VALUE_KEY)) {
                key = in.readStringRequireUtf8();
            } else if (isMessage(tag, KEY_VALUE_VALUE) && key != null) {
                int valueLimit = in.pushLimit(in.readRawVarint32());
                anyValue(in, key, attributes);
                in.popLimit(valueLimit);
                valued = true;
            } else if (isMessage(tag, KEY_VALUE_VALUE)) {
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
            case (ANY_STRING << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> attributes.put(key, in.readStringRequireUtf8());
            case (ANY_BOOL << 3) | WireFormat.WIRETYPE_VARINT -> attributes.put(key, in.readBool());
            case (ANY_INT << 3) | WireFormat.WIRETYPE_VARINT -> attributes.put(key, in.readInt64());
            case (ANY_DOUBLE << 3) | WireFormat.WIRETYPE_FIXED64 -> attributes.put(key, in.readDouble());
            case (ANY_ARRAY << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> attributes.put(AttributeKey.stringArrayKey(key), strings(in));
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
            if (isMessage(tag, ARRAY_VALUES)) {
                int valueLimit = in.pushLimit(in.readRawVarint32());
                int valueTag = in.readTag();
                if (valueTag == ((ANY_STRING << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
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
        return tag == ((field << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED);
    }
}
