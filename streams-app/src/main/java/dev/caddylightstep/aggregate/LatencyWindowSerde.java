package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.Exemplar;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The state of a running window in the window stores and their changelogs: counters, then the sketch's bins
 * as one block of longs. Internal to the application, so a fixed binary layout (with a version byte) rather
 * than Avro: the store reads and writes it twice per request, and a bulk copy of the bins is what keeps that
 * cheap. The topics carry the Avro LatencyAggregateRecord.
 */
final class LatencyWindowSerde {
    private static final byte VERSION = 1;

    private LatencyWindowSerde() {
    }

    static Serde<LatencyWindow> create() {
        return Serdes.serdeFrom((topic, window) -> window == null ? null : write(window), (topic, data) -> data == null ? null : read(topic, data));
    }

    static byte[] write(LatencyWindow w) {
        long[] bins = w.bins();
        byte[][] ids = new byte[w.exemplars.size() * 2][];
        int exemplarBytes = 0;
        for (int i = 0; i < w.exemplars.size(); i++) {
            ids[2 * i] = w.exemplars.get(i).getTraceId().getBytes(StandardCharsets.UTF_8);
            ids[2 * i + 1] = w.exemplars.get(i).getSpanId().getBytes(StandardCharsets.UTF_8);
            exemplarBytes += 4 + ids[2 * i].length + ids[2 * i + 1].length + 8;
        }
        ByteBuffer out = ByteBuffer.allocate(1 + 8 * 8 + 3 * 8 + 8 + 4 + 4 + bins.length * 8 + 4 + exemplarBytes);
        out.put(VERSION)
                .putLong(w.count).putLong(w.errors).putLong(w.denied).putLong(w.overPermissive).putLong(w.overRestrictive)
                .putLong(w.sloBreaches).putLong(w.bytes).putLong(w.zeroCount)
                .putDouble(w.sumMs).putDouble(w.minMs).putDouble(w.maxMs)
                .putInt(w.lowestBin()).putInt(bins.length);
        out.asLongBuffer().put(bins);
        out.position(out.position() + bins.length * 8);
        out.putInt(w.exemplars.size());
        for (int i = 0; i < w.exemplars.size(); i++) {
            out.putShort((short) ids[2 * i].length).put(ids[2 * i]).putShort((short) ids[2 * i + 1].length).put(ids[2 * i + 1])
                    .putDouble(w.exemplars.get(i).getDurationMs());
        }
        return out.array();
    }

    static LatencyWindow read(String topic, byte[] data) {
        try {
            ByteBuffer in = ByteBuffer.wrap(data);
            byte version = in.get();
            if (version != VERSION) {
                throw new SerializationException("a window in " + topic + " has state version " + version + ", this build reads " + VERSION);
            }
            LatencyWindow w = new LatencyWindow();
            w.count = in.getLong();
            w.errors = in.getLong();
            w.denied = in.getLong();
            w.overPermissive = in.getLong();
            w.overRestrictive = in.getLong();
            w.sloBreaches = in.getLong();
            w.bytes = in.getLong();
            w.zeroCount = in.getLong();
            w.sumMs = in.getDouble();
            w.minMs = in.getDouble();
            w.maxMs = in.getDouble();
            int first = in.getInt();
            long[] bins = new long[in.getInt()];
            in.asLongBuffer().get(bins);
            in.position(in.position() + bins.length * 8);
            w.restoreBins(first, bins);
            int exemplars = in.getInt();
            for (int i = 0; i < exemplars; i++) {
                byte[] trace = new byte[in.getShort()];
                in.get(trace);
                byte[] span = new byte[in.getShort()];
                in.get(span);
                w.exemplars.add(new Exemplar(new String(trace, StandardCharsets.UTF_8), new String(span, StandardCharsets.UTF_8), in.getDouble()));
            }
            return w;
        } catch (BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
            throw new SerializationException("a window in " + topic + " is not a window's state: " + e, e);
        }
    }
}
