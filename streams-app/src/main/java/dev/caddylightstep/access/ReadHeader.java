package dev.caddylightstep.access;

/**
 * A header the parser itself reads into a field of the request, whether or not a stage keeps it too: the user agent
 * and trace context of the request, the Server-Timing of its response.
 */
enum ReadHeader {
    USER_AGENT("User-Agent", false),
    TRACEPARENT("Traceparent", false),
    TRACESTATE("Tracestate", false),
    SERVER_TIMING(ServerTiming.HEADER, true);

    final String header;
    /** In resp_headers rather than request.headers. */
    final boolean response;

    ReadHeader(String header, boolean response) {
        this.header = header;
        this.response = response;
    }
}
