package dev.caddylightstep.otlp;

import io.opentelemetry.proto.common.v1.KeyValue;

/**
 * An attribute's key, encoded once as the key field of its KeyValue (tag, length, UTF-8): a span's keys are the
 * mapper's constants, and measuring and encoding each again in every span was a tenth of the work of writing one.
 */
public final class AttributeKey {
    /** The KeyValue's key field; never empty, as protobuf-java leaves out an empty key. */
    final byte[] field;

    private AttributeKey(byte[] field) {
        this.field = field;
    }

    public static AttributeKey of(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an attribute key is never empty");
        }
        byte[] utf8 = SpanRecordEncoder.utf8(name);
        return new AttributeKey(SpanRecordEncoder.encoded(SpanRecordEncoder.fieldSize(KeyValue.KEY_FIELD_NUMBER, utf8.length),
                out -> SpanRecordEncoder.writeBytes(out, KeyValue.KEY_FIELD_NUMBER, utf8)));
    }
}
