package dev.caddylightstep.otlp;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes a spans-topic record, an OTLP {@code ExportTraceServiceRequest} holding a request's spans, straight in the wire format
 * of opentelemetry-proto's trace.proto, common.proto and resource.proto. Building protobuf-java's messages only to
 * serialise them once was a fifth of the stream threads' work.
 *
 * <p>The bytes are those protobuf-java writes for the same message (fields in number order, proto3 defaults left out,
 * shortest lengths, its UTF-8), so that a record compares equal, byte for byte, whichever way it was made. What
 * repeats from record to record (the resource, the scope, an attribute's key, an attribute whose values repeat) is
 * encoded once and copied. The span is written into a scratch buffer, because the field that holds it starts with
 * its length, then copied out as that field, of its exact size; a batch of such fields is framed under its resource
 * and scope once ({@link #writeResourceSpans}). Not thread-safe: one per thread.
 */
public final class SpanRecordEncoder {
    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int SCRATCH_BYTES = 2048;
    /** A scratch buffer grown past this for a huge line is let go after it: a thread keeps no megabytes for one line. */
    private static final int SCRATCH_KEPT_BYTES = 64 * 1024;
    private static final int STATUS_AND_FLAGS_BYTES = 10;
    /**
     * Each hex digit's value by its char, -1 for the other chars below 128. Looked up here rather than by
     * HexFormat.fromHexDigits, which was a sixth of writing a span, as a span has up to four ids of 16 to 32 digits.
     */
    private static final byte[] HEX_DIGITS = hexDigits();

    private byte[] scratch = new byte[SCRATCH_BYTES];
    private CodedOutputStream span;
    /** Where {@link #span} started writing in scratch: a grown scratch gets a stream that continues at this offset. */
    private int spanStart;
    /** Where the span being written begins in scratch: after the record's spans already ended. */
    private int spanBegin;
    /** The sizes of the record's ended spans, which lie one after the other at the start of scratch. */
    private int[] endedSizes = new int[2];
    private int ended;

    /** The resource as the field of a ResourceSpans, string attributes in this order. */
    public static byte[] encodedResource(List<Map.Entry<String, String>> attributes) {
        List<AttributeKey> keys = attributes.stream().map(attribute -> AttributeKey.of(attribute.getKey())).toList();
        List<byte[]> values = attributes.stream().map(attribute -> utf8(attribute.getValue())).toList();
        int size = 0;
        for (int i = 0; i < attributes.size(); i++) {
            size += fieldSize(Resource.ATTRIBUTES_FIELD_NUMBER, keyValueSize(keys.get(i), stringValueSize(values.get(i))));
        }
        int resourceSize = size;
        return encoded(fieldSize(ResourceSpans.RESOURCE_FIELD_NUMBER, resourceSize), out -> {
            out.writeTag(ResourceSpans.RESOURCE_FIELD_NUMBER, LENGTH_DELIMITED);
            out.writeUInt32NoTag(resourceSize);
            for (int i = 0; i < attributes.size(); i++) {
                writeStringAttribute(out, Resource.ATTRIBUTES_FIELD_NUMBER, keys.get(i), values.get(i));
            }
        });
    }

    /** The instrumentation scope as the field of a ScopeSpans. */
    public static byte[] encodedScope(String name, String version) {
        byte[] nameUtf8 = utf8(name);
        byte[] versionUtf8 = utf8(version);
        int size = stringSize(InstrumentationScope.NAME_FIELD_NUMBER, nameUtf8) + stringSize(InstrumentationScope.VERSION_FIELD_NUMBER, versionUtf8);
        return encoded(fieldSize(ScopeSpans.SCOPE_FIELD_NUMBER, size), out -> {
            out.writeTag(ScopeSpans.SCOPE_FIELD_NUMBER, LENGTH_DELIMITED);
            out.writeUInt32NoTag(size);
            writeString(out, InstrumentationScope.NAME_FIELD_NUMBER, nameUtf8);
            writeString(out, InstrumentationScope.VERSION_FIELD_NUMBER, versionUtf8);
        });
    }

    /** A string attribute as the whole attributes field of a span (tag, length, KeyValue), to be copied by {@link #attribute(byte[])}. */
    public static byte[] encodedAttribute(AttributeKey key, String value) {
        byte[] utf8 = utf8(value);
        return encoded(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, stringValueSize(utf8))),
                out -> writeStringAttribute(out, Span.ATTRIBUTES_FIELD_NUMBER, key, utf8));
    }

    /** An integer attribute as the whole attributes field of a span. */
    public static byte[] encodedAttribute(AttributeKey key, long value) {
        int valueSize = intValueSize(value);
        return encoded(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, valueSize)),
                out -> writeIntAttribute(out, Span.ATTRIBUTES_FIELD_NUMBER, key, value, valueSize));
    }

    /** What repeats from span to span, written once into an array of exactly its size. */
    static byte[] encoded(int size, Fields fields) {
        byte[] encoded = new byte[size];
        CodedOutputStream out = CodedOutputStream.newInstance(encoded);
        try {
            fields.writeTo(out);
        } catch (IOException e) {
            throw miscounted(e);
        }
        out.checkNoSpaceLeft();
        return encoded;
    }

    /** Fields written by {@link #encoded}. */
    interface Fields {
        void writeTo(CodedOutputStream out) throws IOException;
    }

    /**
     * Starts a span with the fields that precede its attributes. Ids are hex; a trace state or parent span id that is
     * null or empty is left out, as protobuf-java leaves out an empty field.
     */
    public void begin(String traceId, String spanId, String traceState, String parentSpanId, String name, Span.SpanKind kind,
               long startEpochNanos, long endEpochNanos) {
        // a record left unfinished (an attribute that failed) is dropped with its spans, not carried into this one
        ended = 0;
        spanBegin = 0;
        beginSpan(traceId, spanId, traceState, parentSpanId, name, kind, startEpochNanos, endEpochNanos);
    }

    /** Starts another span of the same record, after the one {@link #end} ended. */
    public void beginNext(String traceId, String spanId, String traceState, String parentSpanId, String name, Span.SpanKind kind,
                          long startEpochNanos, long endEpochNanos) {
        if (ended == 0) {
            throw new IllegalStateException("no span ended before this one");
        }
        spanBegin += endedSizes[ended - 1];
        beginSpan(traceId, spanId, traceState, parentSpanId, name, kind, startEpochNanos, endEpochNanos);
    }

    private void beginSpan(String traceId, String spanId, String traceState, String parentSpanId, String name, Span.SpanKind kind,
                           long startEpochNanos, long endEpochNanos) {
        span = CodedOutputStream.newInstance(scratch, spanBegin, scratch.length - spanBegin);
        spanStart = spanBegin;
        byte[] traceStateUtf8 = traceState == null ? null : utf8(traceState);
        byte[] nameUtf8 = utf8(name);
        int size = hexSize(Span.TRACE_ID_FIELD_NUMBER, traceId) + hexSize(Span.SPAN_ID_FIELD_NUMBER, spanId)
                + stringSize(Span.TRACE_STATE_FIELD_NUMBER, traceStateUtf8) + hexSize(Span.PARENT_SPAN_ID_FIELD_NUMBER, parentSpanId)
                + stringSize(Span.NAME_FIELD_NUMBER, nameUtf8) + CodedOutputStream.computeEnumSize(Span.KIND_FIELD_NUMBER, kind.getNumber())
                + 2 * CodedOutputStream.computeFixed64Size(Span.START_TIME_UNIX_NANO_FIELD_NUMBER, 0);
        CodedOutputStream out = room(size);
        try {
            writeHex(out, Span.TRACE_ID_FIELD_NUMBER, traceId);
            writeHex(out, Span.SPAN_ID_FIELD_NUMBER, spanId);
            writeString(out, Span.TRACE_STATE_FIELD_NUMBER, traceStateUtf8);
            writeHex(out, Span.PARENT_SPAN_ID_FIELD_NUMBER, parentSpanId);
            writeString(out, Span.NAME_FIELD_NUMBER, nameUtf8);
            if (kind.getNumber() != 0) {
                out.writeEnum(Span.KIND_FIELD_NUMBER, kind.getNumber());
            }
            if (startEpochNanos != 0) {
                out.writeFixed64(Span.START_TIME_UNIX_NANO_FIELD_NUMBER, startEpochNanos);
            }
            if (endEpochNanos != 0) {
                out.writeFixed64(Span.END_TIME_UNIX_NANO_FIELD_NUMBER, endEpochNanos);
            }
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    /** An attribute encoded by {@link #encodedAttribute}. */
    public void attribute(byte[] encoded) {
        try {
            room(encoded.length).writeRawBytes(encoded);
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    public void attribute(AttributeKey key, String value) {
        byte[] utf8 = utf8(value);
        CodedOutputStream out = room(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, stringValueSize(utf8))));
        try {
            writeStringAttribute(out, Span.ATTRIBUTES_FIELD_NUMBER, key, utf8);
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    public void attribute(AttributeKey key, long value) {
        int valueSize = intValueSize(value);
        CodedOutputStream out = room(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, valueSize)));
        try {
            writeIntAttribute(out, Span.ATTRIBUTES_FIELD_NUMBER, key, value, valueSize);
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    public void attribute(AttributeKey key, double value) {
        int valueSize = CodedOutputStream.computeDoubleSize(AnyValue.DOUBLE_VALUE_FIELD_NUMBER, value);
        CodedOutputStream out = room(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, valueSize)));
        try {
            writeKeyValueHead(out, Span.ATTRIBUTES_FIELD_NUMBER, key, valueSize);
            out.writeDouble(AnyValue.DOUBLE_VALUE_FIELD_NUMBER, value);
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    public void attribute(AttributeKey key, boolean value) {
        int valueSize = CodedOutputStream.computeBoolSize(AnyValue.BOOL_VALUE_FIELD_NUMBER, value);
        CodedOutputStream out = room(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, valueSize)));
        try {
            writeKeyValueHead(out, Span.ATTRIBUTES_FIELD_NUMBER, key, valueSize);
            out.writeBool(AnyValue.BOOL_VALUE_FIELD_NUMBER, value);
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    /** A string array attribute. */
    public void attribute(AttributeKey key, List<String> values) {
        byte[][] utf8 = new byte[values.size()][];
        int arraySize = 0;
        for (int i = 0; i < utf8.length; i++) {
            utf8[i] = utf8(values.get(i));
            arraySize += fieldSize(ArrayValue.VALUES_FIELD_NUMBER, stringValueSize(utf8[i]));
        }
        int valueSize = fieldSize(AnyValue.ARRAY_VALUE_FIELD_NUMBER, arraySize);
        CodedOutputStream out = room(fieldSize(Span.ATTRIBUTES_FIELD_NUMBER, keyValueSize(key, valueSize)));
        try {
            writeKeyValueHead(out, Span.ATTRIBUTES_FIELD_NUMBER, key, valueSize);
            out.writeTag(AnyValue.ARRAY_VALUE_FIELD_NUMBER, LENGTH_DELIMITED);
            out.writeUInt32NoTag(arraySize);
            for (byte[] value : utf8) {
                out.writeTag(ArrayValue.VALUES_FIELD_NUMBER, LENGTH_DELIMITED);
                out.writeUInt32NoTag(stringValueSize(value));
                writeStringValue(out, value);
            }
        } catch (IOException e) {
            throw miscounted(e);
        }
    }

    /**
     * Ends the span with the fields after its attributes and returns the spans ended since {@link #begin}, this one last,
     * each as the spans field of a ScopeSpans (tag, length, Span), one after the other: what {@link #writeResourceSpans}
     * puts under a resource and a scope, alone or after other requests' spans of the same resource.
     */
    public byte[] finishSpans(Status.StatusCode status, int flags) {
        end(status, flags);
        int size = 0;
        for (int i = 0; i < ended; i++) {
            size += fieldSize(ScopeSpans.SPANS_FIELD_NUMBER, endedSizes[i]);
        }
        byte[] spans = new byte[size];
        CodedOutputStream out = CodedOutputStream.newInstance(spans);
        try {
            int from = 0;
            for (int i = 0; i < ended; i++) {
                out.writeTag(ScopeSpans.SPANS_FIELD_NUMBER, LENGTH_DELIMITED);
                out.writeUInt32NoTag(endedSizes[i]);
                out.writeRawBytes(scratch, from, endedSizes[i]);
                from += endedSizes[i];
            }
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw miscounted(e);
        }
        ended = 0;
        if (scratch.length > SCRATCH_KEPT_BYTES) {
            scratch = new byte[SCRATCH_BYTES];
        }
        return spans;
    }

    /**
     * The size of a ResourceSpans, as the field of an export request, holding one ScopeSpans of {@code spansBytes} of
     * spans fields.
     *
     * @param resource from {@link #encodedResource}
     * @param scope from {@link #encodedScope}
     */
    public static int resourceSpansSize(byte[] resource, byte[] scope, int spansBytes) {
        return fieldSize(ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER, resourceSpansLength(resource, scope, spansBytes));
    }

    /** The length of the ResourceSpans message itself, without its tag and length. */
    private static int resourceSpansLength(byte[] resource, byte[] scope, int spansBytes) {
        return resource.length + fieldSize(ResourceSpans.SCOPE_SPANS_FIELD_NUMBER, scope.length + spansBytes);
    }

    /**
     * Writes a ResourceSpans of this resource holding one ScopeSpans of this scope holding these spans fields (from
     * {@link #finishSpans}), {@code spansBytes} in all, as the field of an export request: at {@code at} in {@code into},
     * where {@link #resourceSpansSize} bytes must be free. An export request is such fields one after the other.
     *
     * @return the offset after it
     */
    public static int writeResourceSpans(byte[] into, int at, byte[] resource, byte[] scope, List<byte[]> spans, int spansBytes) {
        int length = resourceSpansLength(resource, scope, spansBytes);
        int size = fieldSize(ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER, length);
        CodedOutputStream out = CodedOutputStream.newInstance(into, at, size);
        try {
            out.writeTag(ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER, LENGTH_DELIMITED);
            out.writeUInt32NoTag(length);
            out.writeRawBytes(resource);
            out.writeTag(ResourceSpans.SCOPE_SPANS_FIELD_NUMBER, LENGTH_DELIMITED);
            out.writeUInt32NoTag(scope.length + spansBytes);
            out.writeRawBytes(scope);
            for (byte[] fields : spans) {
                out.writeRawBytes(fields);
            }
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw miscounted(e);
        }
        return at + size;
    }

    /**
     * Ends the span with the fields after its attributes, and keeps it for the record: {@link #beginNext} starts
     * another span of the same record (an unset status is left out).
     */
    public void end(Status.StatusCode status, int flags) {
        CodedOutputStream out = room(STATUS_AND_FLAGS_BYTES);
        try {
            if (status != Status.StatusCode.STATUS_CODE_UNSET) {
                out.writeTag(Span.STATUS_FIELD_NUMBER, LENGTH_DELIMITED);
                out.writeUInt32NoTag(CodedOutputStream.computeEnumSize(Status.CODE_FIELD_NUMBER, status.getNumber()));
                out.writeEnum(Status.CODE_FIELD_NUMBER, status.getNumber());
            }
            if (flags != 0) {
                out.writeFixed32(Span.FLAGS_FIELD_NUMBER, flags);
            }
        } catch (IOException e) {
            throw miscounted(e);
        }
        if (ended == endedSizes.length) {
            endedSizes = Arrays.copyOf(endedSizes, 2 * ended);
        }
        endedSizes[ended++] = spanStart + out.getTotalBytesWritten() - spanBegin;
    }

    /** The span's stream, with at least this many bytes left: a scratch too small is copied into one twice as large. */
    private CodedOutputStream room(int bytes) {
        if (span.spaceLeft() >= bytes) {
            return span;
        }
        int written = spanStart + span.getTotalBytesWritten();
        scratch = Arrays.copyOf(scratch, Math.max(2 * scratch.length, written + bytes));
        span = CodedOutputStream.newInstance(scratch, written, scratch.length - written);
        spanStart = written;
        return span;
    }

    /** A KeyValue's tag, length and key, and the tag and length of its AnyValue, whose body follows. */
    private static void writeKeyValueHead(CodedOutputStream out, int field, AttributeKey key, int valueSize) throws IOException {
        out.writeTag(field, LENGTH_DELIMITED);
        out.writeUInt32NoTag(keyValueSize(key, valueSize));
        out.writeRawBytes(key.field);
        out.writeTag(KeyValue.VALUE_FIELD_NUMBER, LENGTH_DELIMITED);
        out.writeUInt32NoTag(valueSize);
    }

    /** A string attribute: its KeyValue's head, then an AnyValue holding the string. */
    private static void writeStringAttribute(CodedOutputStream out, int field, AttributeKey key, byte[] utf8) throws IOException {
        writeKeyValueHead(out, field, key, stringValueSize(utf8));
        writeStringValue(out, utf8);
    }

    private static void writeIntAttribute(CodedOutputStream out, int field, AttributeKey key, long value, int valueSize) throws IOException {
        writeKeyValueHead(out, field, key, valueSize);
        out.writeInt64(AnyValue.INT_VALUE_FIELD_NUMBER, value);
    }

    private static int keyValueSize(AttributeKey key, int valueSize) {
        return key.field.length + fieldSize(KeyValue.VALUE_FIELD_NUMBER, valueSize);
    }

    /**
     * A string's bytes as protobuf-java writes them: on a server JVM it encodes with String.getBytes, and falls back on
     * it for an unpaired surrogate (as '?'). Encoded once here, as its length is needed before it: CodedOutputStream
     * measured the string for its size and again when writing it.
     */
    static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** An AnyValue holding a string: a member of a oneof, so written even when empty. */
    private static int stringValueSize(byte[] utf8) {
        return fieldSize(AnyValue.STRING_VALUE_FIELD_NUMBER, utf8.length);
    }

    private static void writeStringValue(CodedOutputStream out, byte[] utf8) throws IOException {
        writeBytes(out, AnyValue.STRING_VALUE_FIELD_NUMBER, utf8);
    }

    private static int intValueSize(long value) {
        return CodedOutputStream.computeInt64Size(AnyValue.INT_VALUE_FIELD_NUMBER, value);
    }

    static int fieldSize(int field, int length) {
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
    }

    /** A proto3 string field, left out when empty. */
    private static int stringSize(int field, byte[] utf8) {
        return utf8 == null || utf8.length == 0 ? 0 : fieldSize(field, utf8.length);
    }

    private static void writeString(CodedOutputStream out, int field, byte[] utf8) throws IOException {
        if (utf8 != null && utf8.length > 0) {
            writeBytes(out, field, utf8);
        }
    }

    static void writeBytes(CodedOutputStream out, int field, byte[] bytes) throws IOException {
        out.writeTag(field, LENGTH_DELIMITED);
        out.writeUInt32NoTag(bytes.length);
        out.writeRawBytes(bytes);
    }

    /** A proto3 bytes field given as hex, left out when empty. */
    private static int hexSize(int field, String hex) {
        if (hex == null || hex.isEmpty()) {
            return 0;
        }
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("an id of an odd number of hex digits: " + hex);
        }
        return fieldSize(field, hex.length() / 2);
    }

    private static void writeHex(CodedOutputStream out, int field, String hex) throws IOException {
        if (hex == null || hex.isEmpty()) {
            return;
        }
        out.writeTag(field, LENGTH_DELIMITED);
        out.writeUInt32NoTag(hex.length() / 2);
        for (int i = 0; i < hex.length(); i += 2) {
            out.write((byte) (hexDigit(hex, i) << 4 | hexDigit(hex, i + 1)));
        }
    }

    private static int hexDigit(String hex, int at) {
        char c = hex.charAt(at);
        int digit = c < HEX_DIGITS.length ? HEX_DIGITS[c] : -1;
        if (digit < 0) {
            throw new NumberFormatException("an id of other than hex digits: " + hex);
        }
        return digit;
    }

    private static byte[] hexDigits() {
        byte[] digits = new byte[128];
        Arrays.fill(digits, (byte) -1);
        for (int digit = 0; digit < 16; digit++) {
            digits[Character.forDigit(digit, 16)] = (byte) digit;
            digits[Character.toUpperCase(Character.forDigit(digit, 16))] = (byte) digit;
        }
        return digits;
    }

    private static IllegalStateException miscounted(IOException e) {
        return new IllegalStateException("a span record came out longer than its computed size", e);
    }
}
