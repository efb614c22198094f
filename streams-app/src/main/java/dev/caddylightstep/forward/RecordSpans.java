package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordReader;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Spans of one span record as an export request of their own: the record's bytes as they are, or, once the backend
 * refused a request holding the record alone, one of its spans cut out. Requests written one after another are
 * their merge in protobuf, so an export request's body is its parts' bytes joined.
 *
 * @param request an OTLP {@code ExportTraceServiceRequest}
 * @param spans   how many spans it holds
 */
record RecordSpans(ConsumerRecord<byte[], byte[]> source, byte[] request, int spans) {
    /** How much larger than the record its spans apart may be: a record's own resource per span is well under it. */
    static final int MAX_GROWTH = 4;

    /**
     * Its spans one by one, or empty when they would take more than {@value #MAX_GROWTH} times its bytes apart (many
     * spans sharing a large resource); decoding the record is the price of a refusal, never of an export.
     */
    Optional<List<RecordSpans>> apart() throws InvalidProtocolBufferException {
        return SpanRecordReader.eachSpan(request, (long) MAX_GROWTH * request.length)
                .map(each -> each.stream().map(span -> new RecordSpans(source, span, 1)).toList());
    }

    TopicPartition partition() {
        return new TopicPartition(source.topic(), source.partition());
    }
}
