package dev.caddylightstep.otlp;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

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
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] field = new byte[CodedOutputStream.computeTagSize(KeyValue.KEY_FIELD_NUMBER)
                + CodedOutputStream.computeUInt32SizeNoTag(utf8.length) + utf8.length];
        CodedOutputStream out = CodedOutputStream.newInstance(field);
        try {
            out.writeTag(KeyValue.KEY_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(utf8.length);
            out.writeRawBytes(utf8);
        } catch (IOException e) {
            throw new IllegalStateException("an attribute key came out longer than its computed size", e);
        }
        out.checkNoSpaceLeft();
        return new AttributeKey(field);
    }
}
