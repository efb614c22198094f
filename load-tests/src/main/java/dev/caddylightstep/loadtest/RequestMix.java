package dev.caddylightstep.loadtest;

/**
 * The traffic of the generated site. The three weights split requests between clients (relative, need not sum
 * to 1); the shares are probabilities per request.
 *
 * @param authenticatedWeight requests of {@link BasicAuthUsers#KNOWN} users
 * @param anonymousWeight requests without credentials: public pages, health checks, and 401s on the API
 * @param unknownUserWeight requests with credentials of {@link BasicAuthUsers#UNKNOWN} users: all 401
 * @param tlsShare requests over HTTPS (mostly HTTP/2), logged with a {@code tls} object
 * @param traceparentShare requests with a W3C {@code traceparent} (a third of them also with {@code tracestate})
 * @param bigHeaderShare requests with a header of a few KB (a forwarded client certificate)
 * @param unicodePathShare authenticated requests for a file with a non-ASCII name
 * @param sensitiveQueryShare GET requests whose query carries a secret ({@code token=}, {@code api_key=}, ...)
 * @param serverErrorShare proxied requests that fail with 500, 502, 503 or 504
 */
public record RequestMix(
        double authenticatedWeight,
        double anonymousWeight,
        double unknownUserWeight,
        double tlsShare,
        double traceparentShare,
        double bigHeaderShare,
        double unicodePathShare,
        double sensitiveQueryShare,
        double serverErrorShare) {

    public RequestMix {
        requireWeight("authenticatedWeight", authenticatedWeight);
        requireWeight("anonymousWeight", anonymousWeight);
        requireWeight("unknownUserWeight", unknownUserWeight);
        if (authenticatedWeight + anonymousWeight + unknownUserWeight <= 0) {
            throw new IllegalArgumentException("at least one of authenticatedWeight, anonymousWeight, unknownUserWeight must be > 0");
        }
        requireShare("tlsShare", tlsShare);
        requireShare("traceparentShare", traceparentShare);
        requireShare("bigHeaderShare", bigHeaderShare);
        requireShare("unicodePathShare", unicodePathShare);
        requireShare("sensitiveQueryShare", sensitiveQueryShare);
        requireShare("serverErrorShare", serverErrorShare);
    }

    public static RequestMix defaults() {
        return new RequestMix(0.70, 0.25, 0.05, 0.60, 0.30, 0.01, 0.02, 0.05, 0.01);
    }

    public RequestMix withWeights(double authenticated, double anonymous, double unknownUser) {
        return new RequestMix(authenticated, anonymous, unknownUser, tlsShare, traceparentShare, bigHeaderShare,
                unicodePathShare, sensitiveQueryShare, serverErrorShare);
    }

    public RequestMix withServerErrorShare(double share) {
        return new RequestMix(authenticatedWeight, anonymousWeight, unknownUserWeight, tlsShare, traceparentShare, bigHeaderShare,
                unicodePathShare, sensitiveQueryShare, share);
    }

    static void requireShare(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be between 0 and 1, not " + value);
        }
    }

    private static void requireWeight(String name, double value) {
        if (!(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(name + " must be a finite number >= 0, not " + value);
        }
    }
}
