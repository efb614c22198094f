package dev.caddylightstep.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The credential the queries and the dashboard require when CADDY_HTTP_TOKEN is set, as {@code Authorization: Bearer
 * TOKEN}. Compared in constant time (digests of equal length, MessageDigest.isEqual), so that the time of a refusal
 * tells nothing of the token; never shown, not even by {@link #toString()}.
 */
public final class BearerToken {
    /** No token: every request is admitted. */
    public static final BearerToken NONE = new BearerToken(null);
    private static final String SCHEME = "bearer ";

    private final byte[] digest;
    /** Kept to present to the other instances, whose windows a query gathers: they require the same token. */
    private final String token;

    private BearerToken(String token) {
        this.token = token;
        this.digest = token == null ? null : sha256(token);
    }

    /** The token, or {@link #NONE} for an empty one. */
    public static BearerToken of(String token) {
        return token == null || token.isEmpty() ? NONE : new BearerToken(token);
    }

    /** The Authorization header this instance presents to the others, or null when none is required. */
    public String authorization() {
        return token == null ? null : "Bearer " + token;
    }

    public boolean isRequired() {
        return digest != null;
    }

    /** Whether a request with this Authorization header (null when absent) may be answered. */
    public boolean admits(String authorization) {
        if (digest == null) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(SCHEME.length()).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return digest == null ? "(none)" : "(hidden)";
    }
}
