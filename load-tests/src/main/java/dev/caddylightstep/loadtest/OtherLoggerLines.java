package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

/**
 * Lines of Caddy's loggers other than the access log, as 2.6.2 writes them (from the capture's
 * caddy-stderr.log): proxy errors of the error log, certificate maintenance, start-up. A pipeline must
 * recognise them as not requests even when they carry a {@code request} object.
 */
final class OtherLoggerLines {
    private static final byte[] OPEN_INFO = utf8("{\"level\":\"info\",\"ts\":");
    private static final byte[] OPEN_WARN = utf8("{\"level\":\"warn\",\"ts\":");
    private static final byte[] OPEN_ERROR = utf8("{\"level\":\"error\",\"ts\":");

    private static final byte[] PROXY_ERROR_REFUSED = utf8(",\"logger\":\"http.log.error.log0\","
            + "\"msg\":\"dial tcp 10.0.4.21:9000: connect: connection refused\",\"request\":{\"remote_ip\":\"198.51.100.");
    private static final byte[] PROXY_ERROR_RESET = utf8(",\"logger\":\"http.log.error.log0\","
            + "\"msg\":\"read tcp 10.0.4.12:48512->10.0.4.21:9000: read: connection reset by peer\",\"request\":{\"remote_ip\":\"198.51.100.");
    private static final byte[] PROXY_ERROR_REQUEST = utf8("\",\"proto\":\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"10.0.4.12:8080\","
            + "\"uri\":\"/public/products/");
    private static final byte[] PROXY_ERROR_HEADERS = utf8("\",\"headers\":{\"User-Agent\":[\"curl/7.88.1\"],\"Accept\":[\"*/*\"]}},\"duration\":");
    private static final byte[] PROXY_ERROR_STATUS = utf8(",\"status\":502,\"err_id\":\"");
    private static final byte[] PROXY_ERROR_TRACE = utf8("\",\"err_trace\":\"reverseproxy.statusError (reverseproxy.go:1272)\"}");
    private static final byte[] REMOTE_PORT = utf8("\",\"remote_port\":\"");
    private static final byte[] ERR_ID_ALPHABET = utf8("0123456789abcdefghijklmnopqrstuvwxyz");

    private static final byte[] MAINTENANCE_STARTED = utf8(",\"logger\":\"tls.cache.maintenance\","
            + "\"msg\":\"started background certificate maintenance\",\"cache\":\"0xc000");
    private static final byte[] MAINTENANCE_STOPPED = utf8(",\"logger\":\"tls.cache.maintenance\","
            + "\"msg\":\"stopped background certificate maintenance\",\"cache\":\"0xc000");

    /** Lines with nothing that changes but the time. */
    private static final byte[][] FIXED_INFO = {
        utf8(",\"logger\":\"tls.obtain\",\"msg\":\"acquiring lock\",\"identifier\":\"shop.example.com\"}"),
        utf8(",\"logger\":\"tls.obtain\",\"msg\":\"lock acquired\",\"identifier\":\"shop.example.com\"}"),
        utf8(",\"logger\":\"tls.obtain\",\"msg\":\"certificate obtained successfully\",\"identifier\":\"shop.example.com\"}"),
        utf8(",\"logger\":\"tls.obtain\",\"msg\":\"releasing lock\",\"identifier\":\"shop.example.com\"}"),
        utf8(",\"logger\":\"tls\",\"msg\":\"cleaning storage unit\",\"description\":\"FileStorage:/var/lib/caddy/.local/share/caddy\"}"),
        utf8(",\"logger\":\"tls\",\"msg\":\"finished cleaning storage units\"}"),
        utf8(",\"logger\":\"http.log\",\"msg\":\"server running\",\"name\":\"srv0\",\"protocols\":[\"h1\",\"h2\",\"h3\"]}"),
        utf8(",\"logger\":\"admin\",\"msg\":\"admin endpoint started\",\"address\":\"localhost:2019\",\"enforce_origin\":false,"
                + "\"origins\":[\"//localhost:2019\",\"//[::1]:2019\",\"//127.0.0.1:2019\"]}"),
        // the root logger has no name: these lines have no logger field at all
        utf8(",\"msg\":\"serving initial configuration\"}"),
        utf8(",\"msg\":\"autosaved config (load with --resume flag)\",\"file\":\"/var/lib/caddy/.config/caddy/autosave.json\"}")};
    private static final byte[][] FIXED_WARN = {
        utf8(",\"logger\":\"tls\",\"msg\":\"stapling OCSP\",\"error\":\"no OCSP stapling for [shop.example.com]: "
                + "no OCSP server specified in certificate\",\"identifiers\":[\"shop.example.com\"]}"),
        utf8(",\"logger\":\"http\",\"msg\":\"automatic HTTP->HTTPS redirects are disabled\",\"server_name\":\"srv1\"}")};

    private final Sampling sampling;

    OtherLoggerLines(Sampling sampling) {
        this.sampling = sampling;
    }

    void write(LineBuffer out, long epochNanos) {
        int pick = sampling.below(10);
        if (pick < 5) {
            writeProxyError(out, epochNanos);
        } else if (pick < 7) {
            out.append(OPEN_INFO);
            ZapFloats.appendEpochSeconds(out, epochNanos);
            out.append(sampling.chance(0.5) ? MAINTENANCE_STARTED : MAINTENANCE_STOPPED).appendHex(sampling.nextLong(), 6).append('"').append('}');
        } else if (pick < 9) {
            out.append(OPEN_INFO);
            ZapFloats.appendEpochSeconds(out, epochNanos);
            out.append(FIXED_INFO[sampling.below(FIXED_INFO.length)]);
        } else {
            out.append(OPEN_WARN);
            ZapFloats.appendEpochSeconds(out, epochNanos);
            out.append(FIXED_WARN[sampling.below(FIXED_WARN.length)]);
        }
    }

    /** The error log's line for a failed proxied request: it has a request, but it is not an access entry. */
    private void writeProxyError(LineBuffer out, long epochNanos) {
        out.append(OPEN_ERROR);
        ZapFloats.appendEpochSeconds(out, epochNanos);
        out.append(sampling.chance(0.7) ? PROXY_ERROR_REFUSED : PROXY_ERROR_RESET).appendDecimal(1 + sampling.below(254))
                .append(REMOTE_PORT).appendDecimal(32_768 + sampling.below(28_232))
                .append(PROXY_ERROR_REQUEST).appendDecimal(1 + sampling.below(2_000))
                .append(PROXY_ERROR_HEADERS);
        ZapFloats.appendSeconds(out, 100_000 + sampling.below(400_000));
        out.append(PROXY_ERROR_STATUS);
        for (int i = 0; i < 9; i++) {
            out.append((char) ERR_ID_ALPHABET[sampling.below(ERR_ID_ALPHABET.length)]);
        }
        out.append(PROXY_ERROR_TRACE);
    }
}
