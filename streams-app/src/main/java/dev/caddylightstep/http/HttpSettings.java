package dev.caddylightstep.http;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;

/**
 * Where the HTTP side listens, loopback unless configured otherwise, how other instances reach it, and who may ask it
 * what.
 *
 * @param traceUrlTemplate the dashboard's link from an exemplar to its trace ({trace_id} replaced), or ""
 * @param token            required of /api/* and the dashboard when set (CADDY_HTTP_TOKEN)
 * @param maxQueries       window queries answered at once; more are answered 503
 */
public record HttpSettings(String host, int port, String advertisedHost, String traceUrlTemplate, BearerToken token, int maxQueries) {
    /** A token shorter than this is refused: guessable, and a sign of a placeholder left in place. */
    private static final int SHORTEST_TOKEN = 16;

    public static HttpSettings from(Settings s) {
        String host = s.string("caddy.http.host");
        String advertised = s.isSet("caddy.http.advertised-host") ? s.string("caddy.http.advertised-host") : host;
        String token = s.string("caddy.http.token");
        if (!token.isEmpty() && token.length() < SHORTEST_TOKEN) {
            throw new ConfigException("caddy.http.token (CADDY_HTTP_TOKEN): a token of at least " + SHORTEST_TOKEN
                    + " characters is required, e.g. openssl rand -hex 32");
        }
        return new HttpSettings(host, s.integer("caddy.http.port", 0, 65535), advertised, s.string("caddy.dashboard.trace-url"),
                BearerToken.of(token), s.integer("caddy.http.max-queries", 1, 64));
    }
}
