package dev.caddylightstep.access;

/**
 * The fields of a Caddy line the parser reads, each with its path in the line as messages name it. A line that has one
 * of them twice is refused: which status, which user, is the true one?
 */
enum LineField {
    LOGGER("logger"),
    TS("ts"),
    DURATION("duration"),
    STATUS("status"),
    SIZE("size"),
    BYTES_READ("bytes_read"),
    REQUEST("request"),
    RESPONSE_HEADERS("resp_headers"),
    TRACE_ID("traceID"),
    SPAN_ID("spanID"),
    UPSTREAM_DURATION_MS("upstream_duration_ms"),
    UPSTREAM_LATENCY_MS("upstream_latency_ms"),
    UPSTREAM_ADDR("upstream_addr"),
    /** Its name is configurable ({@code caddy.log.user-id-field}): messages name it as the line does. */
    USER_ID("user_id"),
    REMOTE_IP("request.remote_ip"),
    REMOTE_PORT("request.remote_port"),
    CLIENT_IP("request.client_ip"),
    PROTO("request.proto"),
    METHOD("request.method"),
    HOST("request.host"),
    URI("request.uri"),
    REQUEST_HEADERS("request.headers"),
    TLS("request.tls"),
    TLS_RESUMED("request.tls.resumed"),
    TLS_VERSION("request.tls.version"),
    TLS_CIPHER_SUITE("request.tls.cipher_suite"),
    TLS_PROTO("request.tls.proto"),
    TLS_SERVER_NAME("request.tls.server_name"),
    TLS_CLIENT_COMMON_NAME("request.tls.client_common_name");

    final String path;

    LineField(String path) {
        this.path = path;
    }
}
