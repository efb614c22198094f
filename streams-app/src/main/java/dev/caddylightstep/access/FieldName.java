package dev.caddylightstep.access;

import java.util.HashMap;
import java.util.Map;

/**
 * The names of the fields {@link CaddyLineReader} reads, as {@link LineTokens#fieldName()} gives them: its switches on a
 * name are then a table, with no String made of the name, hashed and compared. One constant a name, in whatever object
 * it is ("proto" is the request's and its TLS's); each object's reader skips the names that are not its own.
 */
enum FieldName {
    LOGGER("logger"),
    MSG("msg"),
    TS("ts"),
    DURATION("duration"),
    STATUS("status"),
    SIZE("size"),
    BYTES_READ("bytes_read"),
    REQUEST("request"),
    RESP_HEADERS("resp_headers"),
    TRACE_ID("traceID"),
    SPAN_ID("spanID"),
    UPSTREAM_DURATION_MS("upstream_duration_ms"),
    UPSTREAM_LATENCY_MS("upstream_latency_ms"),
    UPSTREAM_ADDR("upstream_addr"),
    REMOTE_IP("remote_ip"),
    REMOTE_PORT("remote_port"),
    CLIENT_IP("client_ip"),
    PROTO("proto"),
    METHOD("method"),
    HOST("host"),
    URI("uri"),
    HEADERS("headers"),
    TLS("tls"),
    RESUMED("resumed"),
    VERSION("version"),
    CIPHER_SUITE("cipher_suite"),
    SERVER_NAME("server_name"),
    CLIENT_COMMON_NAME("client_common_name"),
    /** {@code caddy.log.user-id-field}'s name, when it is none of the names above. */
    USER_ID(null),
    /** Any other name: a field no reader reads. */
    OTHER(null);

    private final String literal;

    FieldName(String literal) {
        this.literal = literal;
    }

    /**
     * Each name by its text (any other is {@link #OTHER}), the user id field's as configured. A configured name that is one of the others is that one,
     * as the reader then reads it as that field wherever that field is read, and as the user id elsewhere.
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
