package dev.caddylightstep.avro;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro's single-object encoding (a two-byte marker, the schema's 64-bit fingerprint, then the binary datum)
 * for one generated class, mapped to and from a domain value. The fingerprint lets any consumer with the
 * schemas from schemas/ check what it reads, without a schema registry; records written with an earlier version of a
 * schema ({@link EarlierSchemas}) are read into the current one.
 *
 * @param <D> the domain value the application works with
 * @param <A> the Avro-generated class on the topic
 */
public final class AvroSerde<D, A extends SpecificRecord> implements Serde<D> {
    static {
        // Avro 1.12 refuses to instantiate classes it does not trust while decoding; ours are the generated ones
        String generated = dev.caddylightstep.schema.IdentityRecord.class.getPackageName();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                ClassSecurityValidator.getGlobal(), type -> type.getPackageName().equals(generated)));
    }

    private final BinaryMessageEncoder<A> encoder;
    private final BinaryMessageDecoder<A> decoder;
    private final Function<D, A> toAvro;
    private final Function<A, D> fromAvro;

    public AvroSerde(Schema schema, Function<D, A> toAvro, Function<A, D> fromAvro) {
        SpecificData model = SpecificData.getForSchema(schema);
        // the generated classes' own field-by-field coders, instead of Avro's generic walk over the schema
        model.setCustomCoders(true);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
        // records an earlier version wrote stay on the topics (7 days of windows): read by their fingerprint's schema
        EarlierSchemas.of(schema).forEach(decoder::addSchema);
        this.toAvro = toAvro;
        this.fromAvro = fromAvro;
    }

    /** For topics whose values are the generated class itself. */
    public static <A extends SpecificRecord> AvroSerde<A, A> of(Schema schema) {
        return new AvroSerde<>(schema, Function.identity(), Function.identity());
    }

    public byte[] serialize(String topic, D value) {
        if (value == null) {
            return null;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            encoder.encode(toAvro.apply(value), out);
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode a record for topic " + topic + ": " + e.getMessage(), e);
        }
    }

    public D deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        A avro;
        try {
            avro = decoder.decode(data);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("a record of topic " + topic + " is not a valid Avro single-object record: " + e.getMessage(), e);
        }
        try {
            return fromAvro.apply(avro);
        } catch (IllegalArgumentException e) {
            throw new SerializationException("a record of topic " + topic + " has an invalid value: " + e.getMessage(), e);
        }
    }

    @Override
    public Serializer<D> serializer() {
        return this::serialize;
    }

    @Override
    public Deserializer<D> deserializer() {
        return this::deserialize;
    }
}
