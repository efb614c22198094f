package dev.caddylightstep.testing.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordReader;
import dev.caddylightstep.testing.kafka.TopicRecords;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The spans that records of the spans topic hold, as a consumer of the topic reads them: a record is an OTLP export
 * request of the spans of many requests (those its writer gathered for that partition), so a topic's spans are counted
 * in its records, not as its records.
 */
public final class SpanRecords {
    private SpanRecords() {
    }

    /** How many spans the records hold. */
    public static int count(List<ConsumerRecord<byte[], byte[]>> records) {
        int spans = 0;
        for (ConsumerRecord<byte[], byte[]> record : records) {
            spans += count(record);
        }
        return spans;
    }

    private static int count(ConsumerRecord<byte[], byte[]> record) {
        try {
            return SpanRecordReader.spanCount(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("a record of the spans topic is not an ExportTraceServiceRequest", e);
        }
    }

    /** Every span of the records, in their order, with its resource and scope. */
    public static List<ReceivedSpan> spans(List<ConsumerRecord<byte[], byte[]>> records) {
        List<ReceivedSpan> spans = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            try {
                spans.addAll(ReceivedSpan.allOf(ExportTraceServiceRequest.parseFrom(record.value())));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("a record of the spans topic is not an ExportTraceServiceRequest", e);
            }
        }
        return spans;
    }

    /** How many requests the records hold spans of: each has its one SERVER span there. */
    public static int requests(List<ConsumerRecord<byte[], byte[]>> records) {
        return (int) spans(records).stream().filter(span -> span.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER).count();
    }

    /**
     * The committed records of the spans topic once they hold the spans of at least {@code requests} requests (see
     * {@link TopicRecords#readUntil}).
     */
    public static List<ConsumerRecord<byte[], byte[]>> readRequests(String bootstrapServers, String topic, int requests, Duration timeout) {
        int[] counted = {0, 0};
        return TopicRecords.readUntil(bootstrapServers, topic, read -> {
            for (; counted[0] < read.size(); counted[0]++) {
                counted[1] += requests(List.of(read.get(counted[0])));
            }
            return counted[1] >= requests;
        }, timeout);
    }
}
