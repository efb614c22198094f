package dev.caddylightstep.access;

import java.util.HashMap;
import java.util.Map;

/**
 * The names of the fields {@link CaddyLineReader} reads, as {@link LineTokens#fieldName()} gives them: its switches on a
 * name are then a table, with no String made of the name, hashed and compared. One constant a name, in whatever object
 * it is ("proto" is the request's and its TLS's); each object's reader skips the names that are not its own. The names
 * are those of {@link LineField}'s paths, taken from there.
 */
enum FieldName {
    LOGGER(LineField.LOGGER),
    /** zap's message key, which the reader checks is there (a Caddy line) and skips. */
    MSG("msg"),
    TS(LineField.TS),
    DURATION(LineField.DURATION),
    STATUS(LineField.STATUS),
    SIZE(LineField.SIZE),
    BYTES_READ(LineField.BYTES_READ),
    REQUEST(LineField.REQUEST),
    RESP_HEADERS(LineField.RESPONSE_HEADERS),
    TRACE_ID(LineField.TRACE_ID),
    SPAN_ID(LineField.SPAN_ID),
    UPSTREAM_DURATION_MS(LineField.UPSTREAM_DURATION_MS),
    UPSTREAM_LATENCY_MS(LineField.UPSTREAM_LATENCY_MS),
    UPSTREAM_ADDR(LineField.UPSTREAM_ADDR),
    REMOTE_IP(LineField.REMOTE_IP),
    REMOTE_PORT(LineField.REMOTE_PORT),
    CLIENT_IP(LineField.CLIENT_IP),
    /** The request's protocol, and its TLS's. */
    PROTO(LineField.PROTO),
    METHOD(LineField.METHOD),
    HOST(LineField.HOST),
    URI(LineField.URI),
    HEADERS(LineField.REQUEST_HEADERS),
    TLS(LineField.TLS),
    RESUMED(LineField.TLS_RESUMED),
    VERSION(LineField.TLS_VERSION),
    CIPHER_SUITE(LineField.TLS_CIPHER_SUITE),
    SERVER_NAME(LineField.TLS_SERVER_NAME),
    CLIENT_COMMON_NAME(LineField.TLS_CLIENT_COMMON_NAME),
    /** {@code caddy.log.user-id-field}'s name, when it is none of the names above. */
    USER_ID((String) null),
    /** Any other name: a field no reader reads. */
    OTHER((String) null);

    private final String literal;

    FieldName(String literal) {
        this.literal = literal;
    }

    /** The last name of the field's path, which is where the line has it. */
    FieldName(LineField field) {
        this(field.path.substring(field.path.lastIndexOf('.') + 1));
    }

    /**
     * Each name by its text (any other is {@link #OTHER}), the user id field's as configured. A configured name that is
     * one of the others is that one, as the reader then reads it as that field wherever that field is read, and as the
     * user id elsewhere.
     */
    static Map<String, FieldName> byName(String userIdField) {
        Map<String, FieldName> byName = new HashMap<>();
        for (FieldName name : values()) {
            if (name.literal != null) {
                byName.put(name.literal, name);
            }
        }
        byName.putIfAbsent(userIdField, USER_ID);
        return Map.copyOf(byName);
    }
}
