package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.Serializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A window's sketch on the aggregate topics: the bytes sketches-java's own protobuf classes write, read back without
 * them, and bytes no window wrote refused with what was wrong.
 */
class SketchProtobufTest {
    private static final double[] QUANTILES = {0.0, 0.5, 0.9, 0.99, 1.0};

    /** The latencies of the real capture's requests, in milliseconds, as a window adds them up. */
    private static LatencySketch captureLatencies() throws IOException {
        ObjectMapper json = new ObjectMapper();
        LatencySketch latencies = new LatencySketch();
        for (String line : CaddyCapture.lines("access.log")) {
            latencies.add(json.readTree(line).get("duration").asDouble() * 1_000);
        }
        return latencies;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** What the windows wrote with sketches-java's protobuf classes: all bins from the lowest, or a map when sparse. */
    private static byte[] writtenByTheProtobufClasses(DDSketch sketch) {
        var proto = DDSketchProtoBinding.toProto(sketch);
        var positive = sketch.getPositiveValueStore();
        if (positive.isEmpty() || positive.getStream().count() * 2 >= positive.getMaxIndex() - positive.getMinIndex() + 1) {
            return proto.toByteArray();
        }
        var sparse = com.datadoghq.sketch.ddsketch.proto.Store.newBuilder();
        positive.forEach(sparse::putBinCounts);
        return proto.toBuilder().setPositiveValues(sparse).build().toByteArray();
    }

    @Test
    void writesTheCapturesLatenciesAsTheProtobufClassesDidAMapForItsSparseBins() throws IOException {
        DDSketch sketch = captureLatencies().sketch();

        assertThat(bytes(SketchProtobuf.write(sketch))).isEqualTo(writtenByTheProtobufClasses(sketch))
                .isNotEqualTo(DDSketchProtoBinding.toProto(sketch).toByteArray());
    }

    @Test
    void writesAWindowOfCloseLatenciesAsTheProtobufClassesDidEveryBinFromTheLowest() {
        LatencySketch latencies = new LatencySketch();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 5_000; i++) {
            latencies.add(i % 100 == 0 ? 0.0 : 10 + random.nextDouble() * 10);
        }
        DDSketch sketch = latencies.sketch();

        assertThat(bytes(SketchProtobuf.write(sketch))).isEqualTo(writtenByTheProtobufClasses(sketch))
                .isEqualTo(DDSketchProtoBinding.toProto(sketch).toByteArray());
    }

    @Test
    void writesAWindowWithoutLatenciesAsTheProtobufClassesDid() {
        DDSketch sketch = new LatencySketch().sketch();

        assertThat(bytes(SketchProtobuf.write(sketch))).isEqualTo(writtenByTheProtobufClasses(sketch));
    }

    @Test
    void readsBackTheCountsAndQuantilesOfWhatItWrote() throws IOException {
        LatencySketch latencies = captureLatencies();
        latencies.add(0.0);
        latencies.add(90_000.0);
        DDSketch sketch = latencies.sketch();

        DDSketch read = SketchProtobuf.read(SketchProtobuf.write(sketch));

        assertThat(read.getCount()).isEqualTo(sketch.getCount());
        assertThat(read.getCount() - read.getPositiveValueStore().getTotalCount()).as("the zero count").isEqualTo(1.0);
        assertThat(read.getValuesAtQuantiles(QUANTILES)).isEqualTo(sketch.getValuesAtQuantiles(QUANTILES));
    }

    @Test
    void refusesBinsSpanningMoreIndexesThanAWindowKeepsBeforeAllocatingThem() {
        byte[] twoBins = sketchWithBins(-1_000_000_000, 1_000_000_000);

        assertThatThrownBy(() -> SketchProtobuf.read(ByteBuffer.wrap(twoBins)))
                .isInstanceOf(IOException.class)
                .hasMessage("a sketch's bins span indexes -1000000000 to 1000000000, more than the 2048 a window keeps");
    }

    @Test
    void refusesContiguousBinsRunningPastTheLastIndexRatherThanWrappingToTheFirst() {
        byte[] pastTheEnd = sketch(contiguous(Integer.MAX_VALUE - 1, 1.0, 1.0, 1.0));

        assertThatThrownBy(() -> SketchProtobuf.read(ByteBuffer.wrap(pastTheEnd)))
                .isInstanceOf(IOException.class)
                .hasMessage("a sketch's bin index 2147483648 is past the indexes a sketch has");
    }

    @Test
    void refusesACountThatIsNotAFiniteNonNegativeNumber() {
        for (double count : new double[] {-1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            byte[] bytes = sketchWithBin(5, count);

            assertThatThrownBy(() -> SketchProtobuf.read(ByteBuffer.wrap(bytes)))
                    .isInstanceOf(IOException.class)
                    .hasMessage("a sketch's count is " + count);
        }
    }

    @Test
    void refusesBytesCutShortOrChangedWithAnIOExceptionAndNothingElse() throws IOException {
        byte[] written = bytes(SketchProtobuf.write(captureLatencies().sketch()));
        SplittableRandom random = new SplittableRandom(11);
        int refused = 0;
        for (int run = 0; run < 20_000; run++) {
            byte[] changed = run % 2 == 0
                    ? Arrays.copyOf(written, random.nextInt(written.length))
                    : written.clone();
            for (int flips = run % 2 == 0 ? 0 : 1 + random.nextInt(4); flips > 0; flips--) {
                changed[random.nextInt(changed.length)] = (byte) random.nextInt(256);
            }
            try {
                DDSketch read = SketchProtobuf.read(ByteBuffer.wrap(changed));
                var bins = read.getPositiveValueStore();
                assertThat(bins.isEmpty() || bins.getMaxIndex() - bins.getMinIndex() < LatencySketch.MAX_BINS).isTrue();
                assertThat(bins.isEmpty() || read.getMinValue() > 0 && Double.isFinite(read.getMaxValue())).isTrue();
            } catch (IOException expected) {
                refused++;
            }
        }
        assertThat(refused).isPositive();
    }

    private static byte[] sketchWithBins(int first, int second) {
        return sketch(bin(first, 1.0), bin(second, 1.0));
    }

    private static byte[] sketchWithBin(int index, double count) {
        return sketch(bin(index, count));
    }

    /** A DDSketch message of the windows' mapping whose positive store holds the given index-to-count entries. */
    private static byte[] sketch(byte[]... bins) {
        try {
            ByteArrayOutputStream store = new ByteArrayOutputStream();
            for (byte[] bin : bins) {
                store.write(bin);
            }
            ByteArrayOutputStream sketch = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(sketch);
            int mappingSize = LatencySketch.MAPPING.serializedSize();
            Serializer mapping = new Serializer(Serializer.embeddedFieldSize(1, mappingSize));
            mapping.writeHeader(1, mappingSize);
            LatencySketch.MAPPING.serialize(mapping);
            out.writeRawBytes(mapping.getBuffer());
            out.writeByteArray(2, store.toByteArray());
            out.flush();
            return sketch.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A store's contiguous counts from {@code offset}, as a dense store writes them. */
    private static byte[] contiguous(int offset, double... counts) {
        try {
            ByteArrayOutputStream fields = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(fields);
            out.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(counts.length * Double.BYTES);
            for (double count : counts) {
                out.writeDoubleNoTag(count);
            }
            out.writeSInt32(3, offset);
            out.flush();
            return fields.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bin(int index, double count) {
        try {
            ByteArrayOutputStream entry = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(entry);
            out.writeSInt32(1, index);
            out.writeDouble(2, count);
            out.flush();
            ByteArrayOutputStream bin = new ByteArrayOutputStream();
            CodedOutputStream field = CodedOutputStream.newInstance(bin);
            field.writeByteArray(1, entry.toByteArray());
            field.flush();
            return bin.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
