package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.avro.EarlierSchemas;
import dev.caddylightstep.schema.Exemplar;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.schema.LatencySummary;
import dev.caddylightstep.schema.StageSummary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * The aggregate topics' schema gained the stages: consumers that know only the schema before them read the aggregates
 * of this build, and this build's schema reads the aggregates written before it. The schema before stages is kept, as it
 * was, in the schemas module (earlier/LatencyAggregateRecord.1.avsc), and the topics' serde reads what it wrote. Read generically, as a consumer with either schema's files would: the
 * generated classes are the application's, which trusts them when its serde loads.
 */
class AggregateSchemaEvolutionTest {
    /** The schema before stages, as the schemas module ships it for the topics' readers. */
    private static final Schema BEFORE = EarlierSchemas.of(LatencyAggregateRecord.getClassSchema()).get(0);
    private static final Schema NOW = LatencyAggregateRecord.getClassSchema();

    /** An aggregate of this build: a window of four requests, three of them timed upstream and by their backend's database. */
    private static LatencyAggregateRecord aggregateWithStages() {
        return LatencyAggregateRecord.newBuilder()
                .setGroup("engineering").setRoute("/api/orders").setWindowStartMs(1_796_451_240_000L).setWindowEndMs(1_796_451_300_000L)
                .setCount(4).setErrors(1).setDenied(0).setMisfires(0).setOverPermissive(0).setOverRestrictive(0).setSloBreaches(1).setBytes(12)
                .setLatencyMs(new LatencySummary(0.017, 70.6, 51.4, 162.7, 162.7, 162.7, 162.7, 162.7))
                .setSketch(ByteBuffer.wrap(new byte[] {10, 9, 9}))
                .setExemplars(List.of(new Exemplar("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 162.7)))
                .setStages(Map.of(
                        "edge", new StageSummary(3L, 25.4, 41.1, 41.8, 41.8, 41.8, ByteBuffer.wrap(new byte[] {1})),
                        "upstream", new StageSummary(3L, 66.4, 51.9, 120.9, 120.9, 120.9, ByteBuffer.wrap(new byte[] {2})),
                        "db", new StageSummary(3L, 63.3, 50.0, 120.0, 120.0, 120.0, ByteBuffer.wrap(new byte[] {3}))))
                .build();
    }

    /** The aggregate as the schema before stages has it: every field but the stages. */
    private static GenericRecord asBefore(LatencyAggregateRecord now) {
        GenericRecord before = new GenericData.Record(BEFORE);
        for (Schema.Field field : BEFORE.getFields()) {
            before.put(field.name(), now.get(field.name()));
        }
        return before;
    }

    private static <T> byte[] write(DatumWriter<T> writer, T datum) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            writer.write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static <T> T read(DatumReader<T> reader, byte[] data) {
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(data, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void eachSchemaReadsWhatTheOtherWrites() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(NOW, BEFORE).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(BEFORE, NOW).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void anAggregateWrittenBeforeStagesReadsWithNoStages() {
        LatencyAggregateRecord now = aggregateWithStages();
        byte[] written = write(new GenericDatumWriter<>(BEFORE), asBefore(now));

        GenericRecord read = read(new GenericDatumReader<>(BEFORE, NOW), written);

        now.setStages(Map.of());
        // a generic record equals only another generic record
        assertThat(read).isEqualTo(GenericData.get().deepCopy(NOW, now));
    }

    @Test
    void anAggregateWithStagesReadsWithTheSchemaBeforeThemAsEverythingButItsStages() {
        LatencyAggregateRecord now = aggregateWithStages();
        byte[] written = write(new GenericDatumWriter<>(NOW), now);

        GenericRecord read = read(new GenericDatumReader<>(NOW, BEFORE), written);

        assertThat(read).isEqualTo(asBefore(now));
    }

    @Test
    void theTopicsSerdeReadsAnAggregateAnEarlierVersionWrote() throws IOException {
        LatencyAggregateRecord now = aggregateWithStages();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        // as the build before stages wrote it on caddy.latency.by-group: single-object encoding, its schema's fingerprint
        new org.apache.avro.message.BinaryMessageEncoder<GenericRecord>(GenericData.get(), BEFORE).encode(asBefore(now), written);

        LatencyAggregateRecord read = dev.caddylightstep.avro.AvroSerde.<LatencyAggregateRecord>of(NOW).deserialize("caddy.latency.by-group",
                written.toByteArray());

        now.setStages(Map.of());
        assertThat(read).isEqualTo(now);
    }
}
