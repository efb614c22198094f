package dev.caddylightstep.topics;

import java.util.Map;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The largest value the application writes in one record: its producer's max.request.size, less room for the key
 * and headers. A value whose size the input decides (a request repartitioned by identity carries its path and query)
 * is checked as it is serialized: over the limit, it fails there, and Kafka Streams hands it to the production handler,
 * which writes a dead letter with reason too-large. Sent instead, the producer (or the broker) would refuse it, and
 * under exactly-once that refusal aborts the transaction: the same record would come back, and fail, forever. A span is
 * checked earlier, as it joins the batch of spans it would be written in, which never grows past the limit.
 *
 * @param maxValueBytes the largest serialized value written
 */
public record RecordLimit(int maxValueBytes) {
    /** Room left in a request for the key, the headers and the record's overhead. */
    public static final int HEADROOM = 64 * 1024;

    /** The limit under a producer's max.request.size. */
    public static RecordLimit underRequestSize(int maxRequestSize) {
        return new RecordLimit(Math.max(0, maxRequestSize - HEADROOM));
    }

    /** The serde, with a serializer that refuses values over the limit. */
    public <T> Serde<T> on(Serde<T> serde) {
        return Serdes.serdeFrom(new Limited<>(serde.serializer(), maxValueBytes), serde.deserializer());
    }

    private record Limited<T>(Serializer<T> serializer, int maxBytes) implements Serializer<T> {
        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            serializer.configure(configs, isKey);
        }

        @Override
        public byte[] serialize(String topic, T data) {
            return checked(topic, serializer.serialize(topic, data));
        }

        @Override
        public byte[] serialize(String topic, Headers headers, T data) {
            return checked(topic, serializer.serialize(topic, headers, data));
        }

        private byte[] checked(String topic, byte[] bytes) {
            if (bytes != null && bytes.length > maxBytes) {
                throw new RecordTooLargeException("a record of " + bytes.length + " bytes for " + topic + ", more than the " + maxBytes
                        + " the application writes (producer.max.request.size less " + HEADROOM + " bytes for key and headers)");
            }
            return bytes;
        }

        @Override
        public void close() {
            serializer.close();
        }
    }
}
