package dev.caddylightstep.access;

import java.util.List;
import java.util.Map;

/**
 * One request as Caddy's access log recorded it, after parsing: times in epoch nanoseconds, sensitive headers and
 * query values already removed.
 *
 * @param endEpochNanos Caddy's {@code ts}: when the response ended
 * @param uri the request target as logged, with sensitive query values replaced
 * @param path the path part of {@code uri}, exactly as logged (not percent-decoded)
 * @param query the query part of {@code uri} without the '?', or null when there is none
 * @param remotePort -1 when not logged
 * @param clientIp newer Caddy's {@code client_ip} (the client behind trusted proxies), or null
 * @param status the HTTP status, with Caddy's 0 (nothing written) read as 200
 * @param bytesRead newer Caddy's request body size, or -1 when not logged
 * @param userId Caddy's {@code user_id}; "" when no one authenticated
 * @param userAgent the first User-Agent, or null
 * @param requestHeaders the request headers a stage reads (the identity header when identities come from one) and those
 *        captured for spans, by the names the line gave them; the line's other headers are not kept, and those the
 *        parser reads (user agent, trace context) are in their fields
 * @param responseHeaders the response headers captured for spans ({@link CapturedHeaders}); the line's others are not kept
 * @param tls null for plain HTTP
 * @param upstream how long the upstream took, when Caddy logged it; null otherwise
 * @param serverTiming the response's Server-Timing entries, Caddy's own among them, read whether or not the header is
 *        captured for spans
 */
public record AccessEvent(
        long endEpochNanos,
        long durationNanos,
        String logger,
        String method,
        String host,
        String uri,
        String path,
        String query,
        String scheme,
        String protocol,
        String remoteIp,
        int remotePort,
        String clientIp,
        int status,
        long size,
        long bytesRead,
        String userId,
        String userAgent,
        Map<String, List<String>> requestHeaders,
        Map<String, List<String>> responseHeaders,
        TlsInfo tls,
        TraceContext trace,
        UpstreamTiming upstream,
        ServerTiming serverTiming) {

    public long startEpochNanos() {
        return endEpochNanos - durationNanos;
    }

    public long endEpochMillis() {
        return Math.floorDiv(endEpochNanos, 1_000_000L);
    }

    public double durationMillis() {
        return durationNanos / 1_000_000.0;
    }

    /**
     * The time in Caddy outside the upstream call, in ms, when the upstream was timed; never negative. Rounded to the
     * nanosecond, Caddy's resolution: the difference of two doubles would otherwise end in ...0000000002.
     */
    public double edgeMillis() {
        return Math.max(0.0, Math.round((durationMillis() - upstream.millis()) * 1_000_000.0) / 1_000_000.0);
    }

    /** The first value of a request header, by its name in any case, or null. */
    public String requestHeader(String name) {
        List<String> values = headerValues(requestHeaders, name);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The values of a header, by its name in any case (after a round trip through Avro the map is case-sensitive). */
    public static List<String> headerValues(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return List.of();
    }

    /** The address of the client: newer Caddy's client_ip when logged, otherwise the connection's peer. */
    public String clientAddress() {
        return clientIp != null ? clientIp : remoteIp;
    }
}
