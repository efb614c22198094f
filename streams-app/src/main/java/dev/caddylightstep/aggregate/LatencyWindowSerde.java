package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.Exemplar;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The state of a running window in the window stores and their changelogs: counters, then the sketch's non-empty
 * bins as varints (a partial window of one second fills a few of its hundreds of bins). Internal to the
 * application, so a fixed binary layout (with a version byte) rather than Avro: a partial window is written to
 * its store on every request. The topics carry the Avro LatencyAggregateRecord.
 */
final class LatencyWindowSerde {
    private static final byte VERSION = 2;

    private LatencyWindowSerde() {
    }

    static Serde<LatencyWindow> create() {
        return Serdes.serdeFrom((topic, window) -> window == null ? null : write(window), (topic, data) -> data == null ? null : read(topic, data));
    }

    static byte[] write(LatencyWindow w) {
        byte[][] ids = new byte[w.exemplars.size() * 2][];
        int exemplarBytes = 0;
        for (int i = 0; i < w.exemplars.size(); i++) {
            ids[2 * i] = w.exemplars.get(i).getTraceId().getBytes(StandardCharsets.UTF_8);
            ids[2 * i + 1] = w.exemplars.get(i).getSpanId().getBytes(StandardCharsets.UTF_8);
            exemplarBytes += 4 + ids[2 * i].length + ids[2 * i + 1].length + 8;
        }
        int nonEmpty = 0;
        int binBytes = 0;
        int previous = w.lowest;
        for (int index = w.lowest; index <= w.highest; index++) {
            long binCount = w.counts[index - w.offset];
            if (binCount != 0) {
                nonEmpty++;
                binBytes += varintSize(index - previous) + varintSize(binCount);
                previous = index;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(1 + 8 * 8 + 3 * 8 + 4 + 4 + 4 + binBytes + 4 + exemplarBytes);
        out.put(VERSION)
                .putLong(w.count).putLong(w.errors).putLong(w.denied).putLong(w.overPermissive).putLong(w.overRestrictive)
                .putLong(w.sloBreaches).putLong(w.bytes).putLong(w.zeroCount)
                .putDouble(w.sumMs).putDouble(w.minMs).putDouble(w.maxMs)
                .putInt(w.lowest).putInt(w.highest).putInt(nonEmpty);
        previous = w.lowest;
        for (int index = w.lowest; index <= w.highest; index++) {
            long binCount = w.counts[index - w.offset];
            if (binCount != 0) {
                putVarint(out, index - previous);
                putVarint(out, binCount);
                previous = index;
            }
        }
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
            int lowest = in.getInt();
            int highest = in.getInt();
            int nonEmpty = in.getInt();
            if (nonEmpty > 0) {
                if (highest < lowest || highest - lowest >= LatencyWindow.MAX_BINS) {
                    throw new IllegalArgumentException("bins [" + lowest + ", " + highest + "]");
                }
                long[] bins = new long[highest - lowest + 1];
                int index = lowest;
                for (int i = 0; i < nonEmpty; i++) {
                    index += (int) getVarint(in);
                    bins[index - lowest] = getVarint(in);
                }
                w.restoreBins(lowest, bins);
            }
            int exemplars = in.getInt();
            for (int i = 0; i < exemplars; i++) {
                byte[] trace = new byte[in.getShort()];
                in.get(trace);
                byte[] span = new byte[in.getShort()];
                in.get(span);
                w.exemplars.add(new Exemplar(new String(trace, StandardCharsets.UTF_8), new String(span, StandardCharsets.UTF_8), in.getDouble()));
            }
            return w;
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("a window in " + topic + " is not a window's state: " + e, e);
        }
    }

    private static int varintSize(long value) {
        return Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7);
    }

    private static void putVarint(ByteBuffer out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.put((byte) value);
    }

    private static long getVarint(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("a varint longer than 10 bytes");
    }
}
