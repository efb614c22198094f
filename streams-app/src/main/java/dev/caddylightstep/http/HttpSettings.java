package dev.caddylightstep.http;

import dev.caddylightstep.config.Settings;

/**
 * Where the HTTP side listens, loopback unless configured otherwise, and how other instances reach it.
 *
 * @param traceUrlTemplate the dashboard's link from an exemplar to its trace ({trace_id} replaced), or ""
 */
public record HttpSettings(String host, int port, String advertisedHost, String traceUrlTemplate) {

    public static HttpSettings from(Settings s) {
        String host = s.string("caddy.http.host");
        String advertised = s.isSet("caddy.http.advertised-host") ? s.string("caddy.http.advertised-host") : host;
        return new HttpSettings(host, s.integer("caddy.http.port", 0, 65535), advertised, s.string("caddy.dashboard.trace-url"));
    }
}
