package dev.caddylightstep.avro;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The versions a schema had before its current one, as the schemas module ships them: {@code earlier/NAME.N.avsc} beside
 * the generated classes, N from 1, each whole (its nested records inline). A version is kept for as long as records it
 * wrote may be on a topic.
 */
public final class EarlierSchemas {
    private EarlierSchemas() {
    }

    public static List<Schema> of(Schema current) {
        List<Schema> earlier = new ArrayList<>();
        for (int version = 1; ; version++) {
            String resource = "/" + current.getNamespace().replace('.', '/') + "/earlier/" + current.getName() + "." + version + ".avsc";
            try (InputStream in = EarlierSchemas.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return earlier;
                }
                earlier.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
    }
}
