package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

/**
 * Writes the access line of a request of the site as Caddy 2.6.2's zap JSON encoder does: the field order of the
 * capture, headers in Go's random map order, numbers as zap prints them, level "error" from status 400 up.
 */
final class AccessLineEncoder {
    private static final byte[] OPEN_INFO = utf8("{\"level\":\"info\",\"ts\":");
    private static final byte[] OPEN_ERROR = utf8("{\"level\":\"error\",\"ts\":");
    private static final byte[] LOGGER = utf8(",\"logger\":\"");
    private static final byte[] MSG_AND_REMOTE_IP = utf8("\",\"msg\":\"handled request\",\"request\":{\"remote_ip\":\"");
    private static final byte[] REMOTE_PORT = utf8("\",\"remote_port\":\"");
    private static final byte[] PROTO = utf8("\",\"proto\":\"");
    private static final byte[] METHOD = utf8("\",\"method\":\"");
    private static final byte[] HOST = utf8("\",\"host\":\"");
    private static final byte[] URI = utf8("\",\"uri\":\"");
    private static final byte[] HEADERS = utf8("\",\"headers\":");
    private static final byte[] TLS_RESUMED = utf8(",\"tls\":{\"resumed\":");
    private static final byte[] TLS_VERSION = utf8(",\"version\":");
    private static final byte[] TLS_CIPHER_SUITE = utf8(",\"cipher_suite\":");
    private static final byte[] TLS_PROTO = utf8(",\"proto\":\"");
    private static final byte[] TLS_SERVER_NAME = utf8("\",\"server_name\":\"");
    private static final byte[] USER_ID = utf8("},\"user_id\":\"");
    private static final byte[] DURATION = utf8("\",\"duration\":");
    private static final byte[] SIZE = utf8(",\"size\":");
    private static final byte[] STATUS = utf8(",\"status\":");
    private static final byte[] RESP_HEADERS = utf8(",\"resp_headers\":");
    private static final byte[] TRUE = utf8("true");
    private static final byte[] FALSE = utf8("false");

    private static final byte[] HTTP_1_1 = utf8("HTTP/1.1");
    private static final byte[] HTTP_2_0 = utf8("HTTP/2.0");
    private static final byte[] ALPN_H2 = utf8("h2");
    private static final byte[] ALPN_HTTP_1_1 = utf8("http/1.1");
    private static final int TLS_1_3 = 772;
    private static final int TLS_1_2 = 771;
    private static final int[] TLS_1_3_SUITES = {4865, 4865, 4865, 4865, 4865, 4865, 4865, 4866, 4866, 4867};
    private static final int[] TLS_1_2_SUITES = {49199, 49195, 52392};

    private final Sampling sampling;

    /**
     * {@code sampling} is the site's own: the client's port, the TLS handshake and Go's map order are drawn from it
     * as each is written, between the site's draws, which is the order that gives a seed its bytes.
     */
    AccessLineEncoder(Sampling sampling) {
        this.sampling = sampling;
    }

    /**
     * Writes the line of the request {@code site} drew last, with the headers {@code headers} drew for it;
     * {@code kind} breaks it the way a malformed kind says.
     */
    void write(LineBuffer out, SiteTraffic site, SiteHeaders headers, long endEpochNanos, LineKind kind) {
        out.append(site.status() >= 400 ? OPEN_ERROR : OPEN_INFO);
        ZapFloats.appendEpochSeconds(out, endEpochNanos);
        LineBuffer remoteIp = site.remoteIp();
        out.append(LOGGER).append(site.logger())
                .append(MSG_AND_REMOTE_IP).append(remoteIp, 0, remoteIp.length())
                .append(REMOTE_PORT).appendDecimal(32_768 + sampling.below(28_232))
                .append(PROTO).append(site.http2() ? HTTP_2_0 : HTTP_1_1);
        if (kind != LineKind.MISSING_METHOD) {
            out.append(METHOD).append(site.method());
        }
        LineBuffer uri = site.uri();
        out.append(HOST).append(site.host()).append(URI).append(uri, 0, uri.length()).append(HEADERS);
        headers.request().writeShuffled(out, sampling.random());
        if (site.overTls()) {
            writeTls(out, site.http2(), site.host());
        }
        out.append(USER_ID).append(site.userId()).append(DURATION);
        ZapFloats.appendSeconds(out, kind == LineKind.NEGATIVE_DURATION ? -site.durationNanos() : site.durationNanos());
        out.append(SIZE).appendDecimal(site.size()).append(STATUS);
        if (kind == LineKind.STATUS_AS_STRING) {
            out.append('"').appendDecimal(site.status()).append('"');
        } else {
            out.appendDecimal(site.status());
        }
        out.append(RESP_HEADERS);
        headers.response().writeShuffled(out, sampling.random());
        out.append('}');
    }

    private void writeTls(LineBuffer out, boolean http2, byte[] serverName) {
        boolean tls13 = sampling.chance(0.9);
        int suite = tls13 ? TLS_1_3_SUITES[sampling.below(TLS_1_3_SUITES.length)] : TLS_1_2_SUITES[sampling.below(TLS_1_2_SUITES.length)];
        out.append(TLS_RESUMED).append(sampling.chance(0.25) ? TRUE : FALSE)
                .append(TLS_VERSION).appendDecimal(tls13 ? TLS_1_3 : TLS_1_2)
                .append(TLS_CIPHER_SUITE).appendDecimal(suite)
                .append(TLS_PROTO).append(http2 ? ALPN_H2 : ALPN_HTTP_1_1)
                .append(TLS_SERVER_NAME).append(serverName).append('"').append('}');
    }
}
