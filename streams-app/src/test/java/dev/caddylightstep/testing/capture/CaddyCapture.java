package dev.caddylightstep.testing.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The real Caddy 2.6.2 lines of the shared capture (test resources caddy-2.6.2/), and ways to pick the ones a
 * test needs. Tests take lines as Caddy wrote them; where a test needs a variant Caddy can also write (another
 * time_format, a newer Caddy's extra field), it derives it from a real line and says so.
 */
public final class CaddyCapture {
    // numbers keep their exact text: Caddy's "ts":1795566966.1665242 must not come back as 1.7955669661665242E9
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private CaddyCapture() {
    }

    /** All lines of a capture file: access.log, bulk.log, netlog.ndjson, filterbug.log or caddy-stderr.log. */
    public static List<String> lines(String file) {
        try (InputStream in = CaddyCapture.class.getResourceAsStream("/caddy-2.6.2/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no capture file " + file);
            }
            List<String> lines = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first line of access.log that matches. */
    public static String access(Predicate<JsonNode> matching) {
        return first("access.log", matching);
    }

    public static String first(String file, Predicate<JsonNode> matching) {
        return lines(file).stream().filter(line -> matching.test(tree(line))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no line of " + file + " matches"));
    }

    public static List<String> all(String file, Predicate<JsonNode> matching) {
        return lines(file).stream().filter(line -> matching.test(tree(line))).toList();
    }

    /** A line whose request has this method and uri and whose answer has this status. */
    public static Predicate<JsonNode> request(String method, String uri, int status) {
        return line -> line.path("request").path("method").asText().equals(method)
                && line.path("request").path("uri").asText().equals(uri)
                && line.path("status").asInt(-1) == status;
    }

    public static Predicate<JsonNode> user(String userId) {
        return line -> line.path("user_id").asText().equals(userId);
    }

    public static JsonNode tree(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line with one top-level field replaced (or added), as a differently configured Caddy would write it. */
    public static String withField(String line, String field, Object value) {
        ObjectNode node = (ObjectNode) tree(line);
        node.set(field, JSON.valueToTree(value));
        return write(node);
    }

    /** The line with one request field replaced (or added). */
    public static String withRequestField(String line, String field, Object value) {
        ObjectNode node = (ObjectNode) tree(line);
        ((ObjectNode) node.get("request")).set(field, JSON.valueToTree(value));
        return write(node);
    }

    public static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
