package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.Exemplar;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The state of a running window in the window stores and their changelogs: counters, then the sketch's non-empty
 * bins as varints (a partial window of one second fills a few of its hundreds of bins). Internal to the
 * application, so a fixed binary layout (with a version byte) rather than Avro. Windows are encoded in one pass
 * over their bins, into an array of room enough, and copied out at their length. The topics carry the Avro
 * LatencyAggregateRecord.
 */
final class LatencyWindowSerde {
    private static final byte VERSION = 2;
    /** The version, eleven counters and sums, the lowest and highest bin and the count of non-empty bins. */
    private static final int HEADER_BYTES = 1 + 11 * 8 + 3 * 4;
    // ByteBuffer's order, which read() uses
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private LatencyWindowSerde() {
    }

    static Serde<LatencyWindow> create() {
        return Serdes.serdeFrom((topic, window) -> window == null ? null : write(window), (topic, data) -> data == null ? null : read(topic, data));
    }

    static byte[] write(LatencyWindow w) {
        int bins = Math.max(0, w.highest - w.lowest + 1);
        if (w.encodedExemplars == null) {
            w.encodedExemplars = exemplars(w.exemplars);
        }
        // a bin's distance from the previous one, under MAX_BINS (two bytes as a varint), and its count, at most the window's
        int bound = HEADER_BYTES + bins * (2 + varintSize(w.count)) + w.encodedExemplars.length;
        byte[] out = new byte[bound];
        out[0] = VERSION;
        int at = 1;
        at = putLong(out, at, w.count);
        at = putLong(out, at, w.errors);
        at = putLong(out, at, w.denied);
        at = putLong(out, at, w.overPermissive);
        at = putLong(out, at, w.overRestrictive);
        at = putLong(out, at, w.sloBreaches);
        at = putLong(out, at, w.bytes);
        at = putLong(out, at, w.zeroCount);
        at = putLong(out, at, Double.doubleToRawLongBits(w.sumMs));
        at = putLong(out, at, Double.doubleToRawLongBits(w.minMs));
        at = putLong(out, at, Double.doubleToRawLongBits(w.maxMs));
        at = putInt(out, at, w.lowest);
        at = putInt(out, at, w.highest);
        int nonEmptyAt = at;
        at += 4;
        int nonEmpty = 0;
        int previous = w.lowest;
        for (int index = w.lowest; index <= w.highest; index++) {
            long binCount = w.counts[index - w.offset];
            if (binCount != 0) {
                nonEmpty++;
                at = putVarint(out, at, index - previous);
                at = putVarint(out, at, binCount);
                previous = index;
            }
        }
        putInt(out, nonEmptyAt, nonEmpty);
        System.arraycopy(w.encodedExemplars, 0, out, at, w.encodedExemplars.length);
        return Arrays.copyOf(out, at + w.encodedExemplars.length);
    }

    /** Their count, then each one's trace id, span id and duration. */
    private static byte[] exemplars(List<Exemplar> exemplars) {
        int bound = 4;
        for (Exemplar exemplar : exemplars) {
            bound += 4 + 3 * (exemplar.getTraceId().length() + exemplar.getSpanId().length()) + 8;
        }
        byte[] out = new byte[bound];
        int at = putInt(out, 0, exemplars.size());
        for (Exemplar exemplar : exemplars) {
            at = putString(out, at, exemplar.getTraceId());
            at = putString(out, at, exemplar.getSpanId());
            at = putLong(out, at, Double.doubleToRawLongBits(exemplar.getDurationMs()));
        }
        return Arrays.copyOf(out, at);
    }

    private static int putLong(byte[] out, int at, long value) {
        LONG.set(out, at, value);
        return at + 8;
    }

    private static int putInt(byte[] out, int at, int value) {
        INT.set(out, at, value);
        return at + 4;
    }

    /** A string as a two-byte length and its UTF-8 bytes. */
    private static int putString(byte[] out, int at, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        SHORT.set(out, at, (short) bytes.length);
        System.arraycopy(bytes, 0, out, at + 2, bytes.length);
        return at + 2 + bytes.length;
    }

    private static int varintSize(long value) {
        return 1 + (63 - Long.numberOfLeadingZeros(value | 1)) / 7;
    }

    private static int putVarint(byte[] out, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            out[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[at++] = (byte) value;
        return at;
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
