package dev.caddylightstep.otlp;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What the forwarder needs to know of a spans-topic record, an OTLP {@code ExportTraceServiceRequest}, without turning
 * it into objects: how many spans it holds, read from the nesting of resource spans, scope spans and spans alone, and
 * how many requests, read up to each span's kind.
 * Only a record the backend refused is taken apart, span by span, with protobuf-java's own classes.
 */
public final class SpanRecordReader {
    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int RESOURCE_SPANS = (ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER << 3) | LENGTH_DELIMITED;
    private static final int SCOPE_SPANS = (ResourceSpans.SCOPE_SPANS_FIELD_NUMBER << 3) | LENGTH_DELIMITED;
    private static final int SPANS = (ScopeSpans.SPANS_FIELD_NUMBER << 3) | LENGTH_DELIMITED;
    private static final int KIND = (Span.KIND_FIELD_NUMBER << 3) | WireFormat.WIRETYPE_VARINT;
    private static final HexFormat HEX = HexFormat.of();

    private SpanRecordReader() {
    }

    /**
     * The spans of a record, counted without being read.
     *
     * @throws InvalidProtocolBufferException when the bytes are not an export request: a request has nothing but
     *                                        resource spans, so any other field at its top (the first byte of a JSON
     *                                        line, say) is refused, as are groups, which OTLP never uses
     */
    public static int spanCount(byte[] record) throws InvalidProtocolBufferException {
        return sumOverResourceSpans(record, (in, length) -> {
            int limit = in.pushLimit(length);
            int spans = resourceSpans(in, (span, spanLength) -> {
                span.skipRawBytes(spanLength);
                return true;
            });
            in.popLimit(limit);
            return spans;
        });
    }

    /**
     * The requests whose spans a record holds: its SERVER spans, one for each request the span stage maps (the CLIENT
     * span of its upstream call is another). Each span is read only up to its kind, which the span stage writes before
     * its times and attributes.
     *
     * @throws InvalidProtocolBufferException when the bytes are not an export request, as {@link #spanCount} says
     */
    public static int requestCount(byte[] record) throws InvalidProtocolBufferException {
        return sumOverResourceSpans(record, (in, length) -> {
            int limit = in.pushLimit(length);
            int servers = resourceSpans(in, SpanRecordReader::isServer);
            in.popLimit(limit);
            return servers;
        });
    }

    /** What one resource spans of a record counts for, read from its {@code length} bytes at the stream's position. */
    private interface ResourceSpansCount {
        int of(CodedInputStream in, int length) throws IOException;
    }

    /** The sum of {@code count} over the resource spans of an export request, refusing any other top-level field. */
    private static int sumOverResourceSpans(byte[] record, ResourceSpansCount count) throws InvalidProtocolBufferException {
        CodedInputStream in = CodedInputStream.newInstance(record);
        int sum = 0;
        try {
            int tag;
            while ((tag = in.readTag()) != 0) {
                if (tag != RESOURCE_SPANS) {
                    throw notAnExportRequest(tag);
                }
                sum += count.of(in, in.readRawVarint32());
            }
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            // reading a byte array fails only on malformed bytes, with the exception above; this is the declared rest
            throw new InvalidProtocolBufferException(e);
        }
        return sum;
    }

    private static InvalidProtocolBufferException notAnExportRequest(int tag) {
        return new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag) + " (wire type "
                + WireFormat.getTagWireType(tag) + ") is not a field of an ExportTraceServiceRequest");
    }

    /** Whether a span counts: it reads the span's {@code length} bytes from the stream, all of them. */
    private interface SpanTest {
        boolean counts(CodedInputStream in, int length) throws IOException;
    }

    private static int resourceSpans(CodedInputStream in, SpanTest test) throws IOException {
        int spans = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (tag == SCOPE_SPANS) {
                int limit = in.pushLimit(in.readRawVarint32());
                spans += scopeSpans(in, test);
                in.popLimit(limit);
            } else {
                skip(in, tag);
            }
        }
        return spans;
    }

    private static int scopeSpans(CodedInputStream in, SpanTest test) throws IOException {
        int spans = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (tag == SPANS) {
                if (test.counts(in, in.readRawVarint32())) {
                    spans++;
                }
            } else {
                skip(in, tag);
            }
        }
        return spans;
    }

    /** Whether the span is a SERVER span, its fields read up to its kind (field 6; an absent kind is unspecified). */
    private static boolean isServer(CodedInputStream in, int length) throws IOException {
        int limit = in.pushLimit(length);
        boolean server = false;
        int tag;
        while ((tag = in.readTag()) != 0 && WireFormat.getTagFieldNumber(tag) <= Span.KIND_FIELD_NUMBER) {
            if (tag == KIND) {
                server = in.readEnum() == Span.SpanKind.SPAN_KIND_SERVER_VALUE;
                break;
            }
            skip(in, tag);
        }
        in.skipRawBytes(in.getBytesUntilLimit());
        in.popLimit(limit);
        return server;
    }

    private static void skip(CodedInputStream in, int tag) throws IOException {
        int wireType = WireFormat.getTagWireType(tag);
        if (wireType == WireFormat.WIRETYPE_START_GROUP || wireType == WireFormat.WIRETYPE_END_GROUP) {
            throw new InvalidProtocolBufferException("a group (field " + WireFormat.getTagFieldNumber(tag) + "), which OTLP never has");
        }
        in.skipField(tag);
    }

    /**
     * The record's spans apart, each an export request of its own under its resource and scope, in the record's order;
     * empty when they would take more than {@code maxBytes} in all. Apart, each span carries a copy of its resource and
     * scope: nothing more for spans of their own resource, as the pipeline writes them, but a record of another
     * producer's whose many spans share a large resource would be copied over and over.
     *
     * @throws InvalidProtocolBufferException when protobuf-java cannot read the record (a string that is not UTF-8, say)
     */
    public static Optional<List<byte[]>> eachSpan(byte[] record, long maxBytes) throws InvalidProtocolBufferException {
        List<byte[]> requests = new ArrayList<>();
        long bytes = 0;
        for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(record).getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    ScopeSpans alone = scopeSpans.toBuilder().clearSpans().addSpans(span).build();
                    ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder()
                            .addResourceSpans(resourceSpans.toBuilder().clearScopeSpans().addScopeSpans(alone)).build();
                    bytes += request.getSerializedSize();
                    if (bytes > maxBytes) {
                        return Optional.empty();
                    }
                    requests.add(request.toByteArray());
                }
            }
        }
        return Optional.of(requests);
    }

    /**
     * "span ID of trace ID" for the first span of a record, in the lower-case hex the OpenTelemetry APIs use, for a
     * dead letter to say which span the backend refused.
     *
     * @throws InvalidProtocolBufferException when protobuf-java cannot read the record, or it holds no span
     */
    public static String firstSpanName(byte[] record) throws InvalidProtocolBufferException {
        Span span = firstSpan(record);
        return "span " + HEX.formatHex(span.getSpanId().toByteArray()) + " of trace " + HEX.formatHex(span.getTraceId().toByteArray());
    }

    /**
     * The trace id of a record's first span, in lower-case hex.
     *
     * @throws InvalidProtocolBufferException when protobuf-java cannot read the record, or it holds no span
     */
    public static String firstTraceId(byte[] record) throws InvalidProtocolBufferException {
        return HEX.formatHex(firstSpan(record).getTraceId().toByteArray());
    }

    private static Span firstSpan(byte[] record) throws InvalidProtocolBufferException {
        for (ResourceSpans resourceSpans : ExportTraceServiceRequest.parseFrom(record).getResourceSpansList()) {
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (Span span : scopeSpans.getSpansList()) {
                    return span;
                }
            }
        }
        throw new InvalidProtocolBufferException("the record holds no span");
    }
}
