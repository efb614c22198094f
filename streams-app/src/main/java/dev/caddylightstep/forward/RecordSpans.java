package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.caddylightstep.otlp.SpanRecordReader;
import java.util.ArrayList;
import java.util.List;
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
    /** Its spans one by one; decoding the record is the price of a refusal, never of an export. */
    List<RecordSpans> apart() throws InvalidProtocolBufferException {
        List<RecordSpans> apart = new ArrayList<>(spans);
        for (byte[] span : SpanRecordReader.eachSpan(request)) {
            apart.add(new RecordSpans(source, span, 1));
        }
        return apart;
    }

    TopicPartition partition() {
        return new TopicPartition(source.topic(), source.partition());
    }
}
