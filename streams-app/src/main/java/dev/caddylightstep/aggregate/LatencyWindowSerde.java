package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.Exemplar;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The state of a running window in the window stores and their changelogs: counters, then the sketch's non-empty
 * bins as varints (a partial window of one second fills a few of its hundreds of bins), the exemplars, and from
 * version 3 the stages' sketches alike. Internal to the application, so a fixed binary layout (with a version byte)
 * rather than Avro. Windows are encoded in one pass over their bins, into an array of room enough, and copied out at
 * their length. The topics carry the Avro LatencyAggregateRecord.
 *
 * <p>A window without stages is written as version 2, byte for byte: the stores and changelogs of the build before
 * stages read back, and so do the partials this build sends to an instance of that one during a rolling upgrade.
 */
final class LatencyWindowSerde {
    /** Counters, the latency's sketch and the exemplars. */
    private static final byte WITHOUT_STAGES = 2;
    /** Version 2, then the stages: their count, then each one's name, count and sketch. */
    private static final byte WITH_STAGES = 3;
    /** The version, eleven counters and sums, the lowest and highest bin and the count of non-empty bins. */
    private static final int HEADER_BYTES = 1 + 11 * 8 + 3 * 4;
    /** A stage's name length, its count, count of zeros, sum, min and max, lowest and highest bin and count of non-empty bins. */
    private static final int STAGE_HEADER_BYTES = 2 + 5 * 8 + 3 * 4;
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
        LatencySketch latency = w.latency;
        boolean withStages = w.stages != null && !w.stages.isEmpty();
        if (w.encodedExemplars == null) {
            w.encodedExemplars = exemplars(w.exemplars);
        }
        int bound = HEADER_BYTES + binBytes(latency) + w.encodedExemplars.length + (withStages ? stagesBound(w.stages) : 0);
        byte[] out = new byte[bound];
        out[0] = withStages ? WITH_STAGES : WITHOUT_STAGES;
        int at = 1;
        at = putLong(out, at, latency.count);
        at = putLong(out, at, w.errors);
        at = putLong(out, at, w.denied);
        at = putLong(out, at, w.overPermissive);
        at = putLong(out, at, w.overRestrictive);
        at = putLong(out, at, w.sloBreaches);
        at = putLong(out, at, w.bytes);
        at = putSketch(out, at, latency);
        System.arraycopy(w.encodedExemplars, 0, out, at, w.encodedExemplars.length);
        at += w.encodedExemplars.length;
        if (withStages) {
            at = putInt(out, at, w.stages.size());
            for (Map.Entry<String, LatencySketch> stage : w.stages.entrySet()) {
                at = putString(out, at, stage.getKey());
                at = putLong(out, at, stage.getValue().count);
                at = putSketch(out, at, stage.getValue());
            }
        }
        return Arrays.copyOf(out, at);
    }

    /** Room for a sketch's non-empty bins: each one's distance from the previous, under MAX_BINS (two bytes as a varint), and its count. */
    private static int binBytes(LatencySketch sketch) {
        return Math.max(0, sketch.highest - sketch.lowest + 1) * (2 + varintSize(sketch.count));
    }

    private static int stagesBound(Map<String, LatencySketch> stages) {
        int bound = 4;
        for (Map.Entry<String, LatencySketch> stage : stages.entrySet()) {
            bound += STAGE_HEADER_BYTES + 3 * stage.getKey().length() + binBytes(stage.getValue());
        }
        return bound;
    }

    /** A sketch but its count: the count of zeros, the sum, min and max, then the bins. */
    private static int putSketch(byte[] out, int at, LatencySketch sketch) {
        at = putLong(out, at, sketch.zeroCount);
        at = putLong(out, at, Double.doubleToRawLongBits(sketch.sumMs));
        at = putLong(out, at, Double.doubleToRawLongBits(sketch.minMs));
        at = putLong(out, at, Double.doubleToRawLongBits(sketch.maxMs));
        at = putInt(out, at, sketch.lowest);
        at = putInt(out, at, sketch.highest);
        int nonEmptyAt = at;
        at += 4;
        int nonEmpty = 0;
        int previous = sketch.lowest;
        for (int index = sketch.lowest; index <= sketch.highest; index++) {
            long binCount = sketch.counts[index - sketch.offset];
            if (binCount != 0) {
                nonEmpty++;
                at = putVarint(out, at, index - previous);
                at = putVarint(out, at, binCount);
                previous = index;
            }
        }
        putInt(out, nonEmptyAt, nonEmpty);
        return at;
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
            if (version != WITHOUT_STAGES && version != WITH_STAGES) {
                throw new SerializationException("a window in " + topic + " has state version " + version + ", this build reads "
                        + WITHOUT_STAGES + " and " + WITH_STAGES);
            }
            LatencyWindow w = new LatencyWindow();
            w.latency.count = in.getLong();
            w.errors = in.getLong();
            w.denied = in.getLong();
            w.overPermissive = in.getLong();
            w.overRestrictive = in.getLong();
            w.sloBreaches = in.getLong();
            w.bytes = in.getLong();
            getSketch(in, w.latency);
            int exemplars = in.getInt();
            for (int i = 0; i < exemplars; i++) {
                w.restoreExemplar(new Exemplar(getString(in), getString(in), in.getDouble()));
            }
            if (version == WITH_STAGES) {
                int stages = in.getInt();
                w.stages = new LinkedHashMap<>();
                for (int i = 0; i < stages; i++) {
                    String name = getString(in);
                    LatencySketch stage = new LatencySketch();
                    stage.count = in.getLong();
                    getSketch(in, stage);
                    w.stages.put(name, stage);
                }
            }
            return w;
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("a window in " + topic + " is not a window's state: " + e, e);
        }
    }

    private static void getSketch(ByteBuffer in, LatencySketch sketch) {
        sketch.zeroCount = in.getLong();
        sketch.sumMs = in.getDouble();
        sketch.minMs = in.getDouble();
        sketch.maxMs = in.getDouble();
        int lowest = in.getInt();
        int highest = in.getInt();
        int nonEmpty = in.getInt();
        if (nonEmpty == 0) {
            return;
        }
        if (highest < lowest || highest - lowest >= LatencySketch.MAX_BINS) {
            throw new IllegalArgumentException("bins [" + lowest + ", " + highest + "]");
        }
        long[] bins = new long[highest - lowest + 1];
        int index = lowest;
        for (int i = 0; i < nonEmpty; i++) {
            index += (int) getVarint(in);
            bins[index - lowest] = getVarint(in);
        }
        sketch.restoreBins(lowest, bins);
    }

    private static String getString(ByteBuffer in) {
        byte[] bytes = new byte[in.getShort()];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
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
