package dev.caddylightstep.identity;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.config.Settings;
import java.util.Set;

/**
 * Where a request's identity key comes from: Caddy's authenticated user (basic auth, or whatever sets
 * {@code user_id}), a request header set by a {@code forward_auth} service, or the mTLS client certificate.
 *
 * @param header the header name for {@link Kind#HEADER}, null otherwise
 */
public record IdentitySource(Kind kind, String header) {

    public static final IdentitySource USER_ID = new IdentitySource(Kind.USER_ID, null);

    /** The kinds of identity key. */
    public enum Kind { USER_ID, HEADER, TLS_CLIENT_CN }

    /** caddy.identity.source, and caddy.identity.header for a header. */
    public static IdentitySource from(Settings s) {
        String source = s.choice("caddy.identity.source", "user_id", "header", "tls_client_cn");
        return switch (source) {
            case "header" -> {
                String header = s.string("caddy.identity.header");
                if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                    throw Settings.invalid("caddy.identity.header", header, "a header name (required when caddy.identity.source=header)");
                }
                yield new IdentitySource(Kind.HEADER, header);
            }
            case "tls_client_cn" -> new IdentitySource(Kind.TLS_CLIENT_CN, null);
            default -> USER_ID;
        };
    }

    /** The request headers this source reads, which the parser must keep. */
    public Set<String> requestHeaders() {
        return kind == Kind.HEADER ? Set.of(header) : Set.of();
    }

    /** The identity key of a request, or null when it carried none. */
    public String keyOf(AccessEvent event) {
        String key = switch (kind) {
            case USER_ID -> event.userId();
            case HEADER -> event.requestHeader(header);
            case TLS_CLIENT_CN -> event.tls() == null ? null : event.tls().clientCommonName();
        };
        return key == null || key.isBlank() ? null : key;
    }
}
