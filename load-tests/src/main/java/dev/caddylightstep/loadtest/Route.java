package dev.caddylightstep.loadtest;

/**
 * The routes of the generated site, modelled on the capture's Caddyfile: a basicauth-protected API proxied to an
 * upstream, an admin area answered by Caddy, public pages, static files, and Caddy's own answers.
 */
enum Route {
    USER("GET", true, Backend.UPSTREAM, 0.012, 0.5, 380, 0.3),
    USER_UPDATE("PATCH", true, Backend.UPSTREAM, 0.025, 0.5, 410, 0.2),
    ORDER_ITEMS("GET", true, Backend.UPSTREAM, 0.035, 0.6, 1_200, 0.6),
    ORDER_CREATE("POST", true, Backend.UPSTREAM, 0.080, 0.5, 210, 0.1),
    ORDER_DELETE("DELETE", true, Backend.UPSTREAM, 0.030, 0.4, 0, 0),
    BLOB("GET", true, Backend.UPSTREAM, 0.060, 0.9, 64_000, 1.5),
    SEARCH("GET", true, Backend.UPSTREAM, 0.120, 0.8, 3_500, 0.8),
    REPORT("GET", true, Backend.UPSTREAM, 1.500, 0.5, 250_000, 0.7),
    /** Files with non-ASCII names: drawn by {@link RequestMix#unicodePathShare()}, not by weight. */
    FILE("GET", true, Backend.UPSTREAM, 0.045, 0.7, 20_000, 1.2),
    ADMIN("GET", true, Backend.CADDY, 0.00004, 0.4, 0, 0),
    HEALTH("GET", false, Backend.CADDY, 0.00003, 0.35, 2, 0),
    PUBLIC_PAGE("GET", false, Backend.UPSTREAM, 0.008, 0.6, 5_400, 0.4),
    STATIC("GET", false, Backend.FILES, 0.0002, 0.6, 0, 0),
    BLOCKED("GET", false, Backend.CADDY, 0.00002, 0.3, 9, 0),
    REDIRECT("GET", false, Backend.CADDY, 0.00002, 0.3, 0, 0),
    /** No route matched: Caddy 2.6 writes nothing and logs status 0. */
    NO_ROUTE("GET", false, Backend.CADDY, 0.000015, 0.3, 0, 0);

    /** Who answers, which decides the response headers. */
    enum Backend {
        UPSTREAM,
        FILES,
        CADDY
    }

    final byte[] method;
    /** GET: a request that can carry its parameters, secrets included, in the query. */
    final boolean readOnly;
    final boolean protectedByBasicAuth;
    final Backend backend;
    final double medianSeconds;
    /** Spread of the log-normal latency: the sigma of its logarithm. */
    final double latencySigma;
    final int typicalSize;
    final double sizeSigma;

    Route(String method, boolean protectedByBasicAuth, Backend backend, double medianSeconds, double latencySigma,
          int typicalSize, double sizeSigma) {
        this.method = LineBuffer.utf8(method);
        this.readOnly = method.equals("GET");
        this.protectedByBasicAuth = protectedByBasicAuth;
        this.backend = backend;
        this.medianSeconds = medianSeconds;
        this.latencySigma = latencySigma;
        this.typicalSize = typicalSize;
        this.sizeSigma = sizeSigma;
    }

    boolean sendsBody() {
        return this == USER_UPDATE || this == ORDER_CREATE;
    }
}
