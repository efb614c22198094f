package dev.caddylightstep.avro;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Deserializes through a bounded memory of the encodings it has seen. A table's store hands its reader freshly
 * deserialized bytes on every lookup, so each request would decode its identity and policy again (and compile the
 * policy's rules): remembered by their bytes, a new version of an entry is a new encoding, never a stale value.
 * Shared by the stream threads; when full it forgets everything at once rather than keep an order per lookup.
 */
public final class Remembering<T> implements Deserializer<T> {
    private final Deserializer<T> inner;
    private final int capacity;
    private final Map<ByteBuffer, T> seen = new ConcurrentHashMap<>();

    public Remembering(Deserializer<T> inner, int capacity) {
        this.inner = inner;
        this.capacity = capacity;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        T value = seen.get(ByteBuffer.wrap(data));
        if (value == null) {
            value = inner.deserialize(topic, data);
            if (seen.size() >= capacity) {
                seen.clear();
            }
            seen.put(ByteBuffer.wrap(data.clone()), value);
        }
        return value;
    }
}
