package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The generated site, modelled on the capture's Caddyfile: draws each request it handles (who sent it, the route and
 * URI, what Caddy, file_server or the upstream answered and how long it took) for {@link SiteHeaders} to give headers
 * and {@link AccessLineEncoder} to write. Not thread-safe.
 */
final class SiteTraffic {
    /** Who sent the request, which decides the routes it asks for and whether basicauth lets it through. */
    enum Client {
        AUTHENTICATED,
        ANONYMOUS,
        UNKNOWN_USER
    }

    /** The access log of each site block: static files over HTTPS have a host and a log of their own. */
    private static final byte[] SITE_LOGGER = utf8("http.log.access.log0");
    private static final byte[] STATIC_SITE_LOGGER = utf8("http.log.access.log1");
    private static final byte[] SITE_HOST = utf8("shop.example.com");
    private static final byte[] STATIC_HOST = utf8("static.example.com");
    /** The plain-HTTP listener that the load balancer's health checks and internal callers use. */
    private static final byte[] INTERNAL_HOST = utf8("10.0.4.12:8080");
    private static final byte[] HEALTH_CHECKER_IP = utf8("10.0.4.1");
    private static final byte[] VISITOR_NETWORK = utf8("198.51.100.");
    private static final byte[] PROBER_NETWORK = utf8("192.0.2.");

    private static final UserAgent[] AGENTS = UserAgent.values();
    /** In the order of {@link #AGENTS}. */
    private static final double[] ANONYMOUS_AGENT_WEIGHTS = Sampling.cumulative(25, 30, 20, 10, 10, 5);
    /** Each known user keeps one client, as people do. */
    private static final UserAgent[] AGENT_OF_USER = {
        UserAgent.CHROME, UserAgent.CURL, UserAgent.PYTHON_REQUESTS, UserAgent.FIREFOX, UserAgent.OKHTTP,
        UserAgent.CHROME, UserAgent.SAFARI_IPHONE, UserAgent.PYTHON_REQUESTS, UserAgent.CURL, UserAgent.FIREFOX};
    private static final double[] USER_WEIGHTS = Sampling.cumulative(30, 20, 14, 10, 8, 6, 5, 3, 2, 2);

    private static final Route[] API_ROUTES = {
        Route.USER, Route.USER_UPDATE, Route.ORDER_ITEMS, Route.ORDER_CREATE, Route.ORDER_DELETE,
        Route.BLOB, Route.SEARCH, Route.REPORT, Route.ADMIN};
    private static final double[] API_WEIGHTS = Sampling.cumulative(26, 3, 16, 6, 2, 9, 12, 1, 3);
    private static final Route[] PUBLIC_ROUTES = {
        Route.HEALTH, Route.PUBLIC_PAGE, Route.STATIC, Route.BLOCKED, Route.REDIRECT, Route.NO_ROUTE};
    private static final double[] PUBLIC_WEIGHTS = Sampling.cumulative(25, 22, 30, 3, 4, 4);
    /** Anonymous requests that try the API anyway, and get 401. */
    private static final double ANONYMOUS_ON_API = 0.12;

    private static final double FORBIDDEN_SHARE = 0.02;
    private static final double NOT_FOUND_SHARE = 0.03;
    /** Clients that hang up before the upstream answers: Caddy logs status 0, as in the capture. */
    private static final double GAVE_UP_SHARE = 0.002;
    private static final double NOT_MODIFIED_SHARE = 0.15;
    private static final double MISSING_ASSET_SHARE = 0.04;
    private static final double SLOW_TAIL_SHARE = 0.01;
    /** basicauth's bcrypt (cost 14) on the first request of each user name; later ones hit its cache. */
    private static final double BCRYPT_SECONDS = 1.1;
    private static final double MAX_SECONDS = 120;
    private static final long MIN_NANOS = 1_000;

    private static final List<StaticAsset> ASSETS = List.of(
            new StaticAsset("/static/app.3f9a2c1e.js", "text/javascript; charset=utf-8", 182_341, "s4f2k83xq1", true),
            new StaticAsset("/static/app.8b1d77e0.css", "text/css; charset=utf-8", 48_220, "s4f2k811ck", true),
            new StaticAsset("/static/logo.svg", "image/svg+xml", 6_412, "s4f2k84y4", true),
            new StaticAsset("/static/hero.jpg", "image/jpeg", 412_880, "s4f2k88uk0", false),
            new StaticAsset("/static/index.html", "text/html; charset=utf-8", 1_824, "s4f2k81eo", true),
            new StaticAsset("/static/fonts/inter.woff2", "font/woff2", 98_112, "s4f2k823sg", false));
    private static final byte[] MISSING_ASSET = utf8("/static/app.1c2d3e4f.js");

    private static final byte[] USERS_PATH = utf8("/api/users/");
    private static final byte[] ORDERS_PATH = utf8("/api/orders");
    private static final byte[] ITEMS = utf8("/items");
    private static final byte[] BLOBS_PATH = utf8("/api/blobs/");
    private static final byte[] SEARCH_PATH = utf8("/api/search?q=");
    private static final byte[] PAGE_PARAMETER = utf8("&page=");
    private static final byte[] REPORTS_PATH = utf8("/api/reports/");
    private static final byte[] EXPORT = utf8("/export?format=csv");
    private static final byte[] ADMIN_PATH = utf8("/admin/settings");
    private static final byte[] HEALTH_PATH = utf8("/health");
    private static final byte[] BLOCKED_PATH = utf8("/blocked/wp-login.php");
    private static final byte[] OLD_PATH = utf8("/old/catalog.html");
    private static final byte[] NO_ROUTE_PATH = utf8("/nothing/here");
    private static final byte[][] PUBLIC_PAGES = {utf8("/public/index.html"), utf8("/public/about"), utf8("/public/products/")};
    /** Non-ASCII names percent-encoded as clients send them (lower- and upper-case hex), the last raw as a raw client sends it. */
    private static final byte[][] UNICODE_PATHS = {
        utf8("/api/%c3%bcn%c3%afcode/%e8%b7%af%e5%be%84/"),
        utf8("/api/files/caf%C3%A9-menu-"),
        utf8("/api/files/%E6%97%A5%E6%9C%AC%E8%AA%9E-"),
        utf8("/api/files/na%C3%AFve%20r%C3%A9sum%C3%A9-"),
        utf8("/api/files/ünïcode/路径/")};
    private static final byte[][] SEARCH_TERMS = {
        utf8("shoes"), utf8("red+shirt"), utf8("caf%C3%A9"), utf8("%E2%9C%93+done"), utf8("o%27reilly"), utf8("100%25+cotton")};
    private static final byte[][] SECRET_PARAMETERS = {
        utf8("token="), utf8("api_key="), utf8("access_token="), utf8("signature="), utf8("password=")};
    /** "admin area, hello " + the user: what the capture's admin route answers. */
    private static final int ADMIN_GREETING_BYTES = 18;

    private static final byte[] NO_USER = new byte[0];

    private final RequestMix mix;
    private final Sampling sampling;
    private final SplittableRandom random;
    private final double[] clientWeights;
    private final byte[][] userNames;
    private final byte[][] userIps;
    private final boolean[] knownUserSeen;
    private final boolean[] unknownUserSeen;
    private final LineBuffer uri = new LineBuffer(512);
    private final LineBuffer remoteIp = new LineBuffer(48);

    // the request drawn last, read by the headers, by the encoder to write it and by the generator to count it
    private Client client;
    private Route route;
    private int userIndex;
    private int unknownUserIndex;
    private UserAgent agent;
    private StaticAsset asset;
    private boolean tls;
    private boolean http2;
    private boolean upstreamAnswered;
    private boolean gzipped;
    private int status;
    private long size;
    private long durationNanos;

    /** @param authWarm basicauth's cache already holds every user: no first request pays bcrypt */
    SiteTraffic(RequestMix mix, Sampling sampling, boolean authWarm) {
        this.mix = mix;
        this.sampling = sampling;
        this.random = sampling.random();
        this.clientWeights = Sampling.cumulative(mix.authenticatedWeight(), mix.anonymousWeight(), mix.unknownUserWeight());
        List<String> known = BasicAuthUsers.KNOWN;
        userNames = new byte[known.size()][];
        userIps = new byte[known.size()][];
        for (int i = 0; i < known.size(); i++) {
            userNames[i] = utf8(known.get(i));
            // two users come over IPv6, which Caddy logs without brackets
            userIps[i] = utf8(i == 2 || i == 7 ? "2001:db8:85a3::" + Integer.toHexString(0x10 + i) : "203.0.113." + (20 + i));
        }
        knownUserSeen = new boolean[known.size()];
        unknownUserSeen = new boolean[BasicAuthUsers.UNKNOWN.size()];
        if (authWarm) {
            java.util.Arrays.fill(knownUserSeen, true);
            java.util.Arrays.fill(unknownUserSeen, true);
        }
    }

    Client client() {
        return client;
    }

    /** The index into {@link BasicAuthUsers#KNOWN} of an authenticated request's user, else -1. */
    int userIndex() {
        return userIndex;
    }

    int status() {
        return status;
    }

    boolean overTls() {
        return tls;
    }

    boolean http2() {
        return http2;
    }

    byte[] host() {
        return servedByStaticSite() ? STATIC_HOST : tls ? SITE_HOST : INTERNAL_HOST;
    }

    byte[] logger() {
        return servedByStaticSite() ? STATIC_SITE_LOGGER : SITE_LOGGER;
    }

    LineBuffer remoteIp() {
        return remoteIp;
    }

    byte[] method() {
        return route.method;
    }

    LineBuffer uri() {
        return uri;
    }

    /** The name basicauth let through, empty when it let nobody through. */
    byte[] userId() {
        return client == Client.AUTHENTICATED ? userNames[userIndex] : NO_USER;
    }

    long durationNanos() {
        return durationNanos;
    }

    long size() {
        return size;
    }

    Route route() {
        return route;
    }

    UserAgent agent() {
        return agent;
    }

    /** The file of a static request, else null. */
    StaticAsset asset() {
        return asset;
    }

    /** Whether the upstream wrote the answer, as opposed to Caddy itself or file_server. */
    boolean upstreamAnswered() {
        return upstreamAnswered;
    }

    /** Whether file_server sent the file gzipped. */
    boolean gzipped() {
        return gzipped;
    }

    /** Draws the next request and its answer; {@link SiteHeaders} draws their headers after. */
    void drawNext() {
        drawRequest();
        decideOutcome();
        writeUri();
    }

    /** Makes the request drawn last take {@code nanos} longer, without a random draw. */
    void slowDown(long nanos) {
        durationNanos = Math.addExact(durationNanos, nanos);
    }

    private boolean servedByStaticSite() {
        return route == Route.STATIC && tls;
    }

    private void drawRequest() {
        client = Client.values()[sampling.weighted(clientWeights)];
        userIndex = -1;
        unknownUserIndex = -1;
        route = switch (client) {
            case AUTHENTICATED -> {
                userIndex = sampling.weighted(USER_WEIGHTS);
                yield sampling.chance(mix.unicodePathShare()) ? Route.FILE : API_ROUTES[sampling.weighted(API_WEIGHTS)];
            }
            case UNKNOWN_USER -> {
                unknownUserIndex = sampling.below(unknownUserSeen.length);
                yield API_ROUTES[sampling.weighted(API_WEIGHTS)];
            }
            case ANONYMOUS -> sampling.chance(ANONYMOUS_ON_API)
                    ? API_ROUTES[sampling.weighted(API_WEIGHTS)]
                    : PUBLIC_ROUTES[sampling.weighted(PUBLIC_WEIGHTS)];
        };
        agent = client == Client.AUTHENTICATED ? AGENT_OF_USER[userIndex] : AGENTS[sampling.weighted(ANONYMOUS_AGENT_WEIGHTS)];
        tls = route != Route.HEALTH && sampling.chance(mix.tlsShare());
        http2 = tls && agent.speaksHttp2() && sampling.chance(0.85);
        asset = route == Route.STATIC ? ASSETS.get(sampling.below(ASSETS.size())) : null;
        remoteIp.clear();
        if (client == Client.AUTHENTICATED) {
            remoteIp.append(userIps[userIndex]);
        } else if (route == Route.HEALTH) {
            remoteIp.append(HEALTH_CHECKER_IP);
        } else {
            remoteIp.append(client == Client.UNKNOWN_USER ? PROBER_NETWORK : VISITOR_NETWORK).appendDecimal(1 + sampling.below(254));
        }
    }

    private void decideOutcome() {
        upstreamAnswered = false;
        gzipped = false;
        double seconds;
        if (route.protectedByBasicAuth && client != Client.AUTHENTICATED) {
            status = 401;
            size = 0;
            seconds = sampling.logNormal(0.00004, 0.4);
            if (client == Client.UNKNOWN_USER) {
                seconds += firstUseCost(unknownUserSeen, unknownUserIndex);
            }
        } else {
            seconds = switch (route.backend) {
                case UPSTREAM -> proxied();
                case FILES -> servedFromDisk();
                case CADDY -> answeredByCaddy();
            };
            if (client == Client.AUTHENTICATED) {
                seconds += firstUseCost(knownUserSeen, userIndex);
            }
        }
        durationNanos = Math.max(MIN_NANOS, (long) (Math.min(seconds, MAX_SECONDS) * 1e9));
    }

    private double proxied() {
        double seconds = latency();
        double u = random.nextDouble();
        if (u < mix.serverErrorShare()) {
            return serverError(seconds);
        }
        u -= mix.serverErrorShare();
        upstreamAnswered = true;
        if (u < FORBIDDEN_SHARE) {
            return refusedByUpstream(403, 61, seconds);
        }
        u -= FORBIDDEN_SHARE;
        if (u < NOT_FOUND_SHARE) {
            return refusedByUpstream(404, 58, seconds);
        }
        u -= NOT_FOUND_SHARE;
        if (u < GAVE_UP_SHARE) {
            upstreamAnswered = false;
            status = 0;
            size = 0;
            return seconds * (0.1 + 0.8 * random.nextDouble());
        }
        status = route == Route.ORDER_CREATE ? 201 : route == Route.ORDER_DELETE ? 204 : 200;
        size = route.sizeSigma == 0 ? route.typicalSize : Math.max(1, Math.round(sampling.logNormal(route.typicalSize, route.sizeSigma)));
        return seconds;
    }

    private double refusedByUpstream(int code, int bodyBytes, double seconds) {
        status = code;
        size = bodyBytes;
        return seconds * 0.5;
    }

    private double serverError(double seconds) {
        int pick = sampling.below(20);
        if (pick < 7) {
            upstreamAnswered = true;
            status = 500;
            size = 72;
            return seconds;
        }
        if (pick < 14) {
            // nothing listens upstream: Caddy answers at once, with an empty body
            status = 502;
            size = 0;
            return sampling.logNormal(0.0003, 0.5);
        }
        if (pick < 18) {
            upstreamAnswered = true;
            status = 503;
            size = 19;
            return sampling.logNormal(0.002, 0.5);
        }
        status = 504;
        size = 0;
        return sampling.logNormal(10, 0.1);
    }

    private double servedFromDisk() {
        double u = random.nextDouble();
        if (u < NOT_MODIFIED_SHARE) {
            status = 304;
            size = 0;
            return sampling.logNormal(0.00012, 0.4);
        }
        if (u < NOT_MODIFIED_SHARE + MISSING_ASSET_SHARE) {
            status = 404;
            size = 0;
            return sampling.logNormal(0.0001, 0.4);
        }
        status = 200;
        gzipped = asset.compressible && agent.acceptsGzip();
        size = gzipped ? asset.size / 4 : asset.size;
        return latency() + asset.size * 2e-9;
    }

    private double answeredByCaddy() {
        switch (route) {
            case ADMIN -> {
                status = 200;
                size = ADMIN_GREETING_BYTES + userNames[userIndex].length;
            }
            case HEALTH -> {
                status = 200;
                size = 2;
            }
            case BLOCKED -> {
                status = 403;
                size = 9;
            }
            case REDIRECT -> {
                status = 301;
                size = 0;
            }
            default -> {
                status = 0;
                size = 0;
            }
        }
        return latency();
    }

    /** The route's log-normal latency, and now and then a heavy-tailed slow one. */
    private double latency() {
        double seconds = sampling.logNormal(route.medianSeconds, route.latencySigma);
        if (sampling.chance(SLOW_TAIL_SHARE)) {
            seconds *= 3 * sampling.pareto(1.5);
        }
        return seconds;
    }

    private double firstUseCost(boolean[] seen, int index) {
        if (seen[index]) {
            return 0;
        }
        seen[index] = true;
        return sampling.logNormal(BCRYPT_SECONDS, 0.03);
    }

    private void writeUri() {
        uri.clear();
        boolean hasQuery = false;
        switch (route) {
            case USER, USER_UPDATE -> uri.append(USERS_PATH).appendDecimal(1 + sampling.below(50_000));
            case ORDER_ITEMS -> appendUuid(uri.append(ORDERS_PATH).append('/')).append(ITEMS);
            case ORDER_CREATE -> uri.append(ORDERS_PATH);
            case ORDER_DELETE -> appendUuid(uri.append(ORDERS_PATH).append('/'));
            case BLOB -> uri.append(BLOBS_PATH).appendHex(random.nextLong(), 16).appendHex(random.nextLong(), 16);
            case SEARCH -> {
                uri.append(SEARCH_PATH).append(SEARCH_TERMS[sampling.below(SEARCH_TERMS.length)])
                        .append(PAGE_PARAMETER).appendDecimal(1 + sampling.below(20));
                hasQuery = true;
            }
            case REPORT -> {
                uri.append(REPORTS_PATH).appendDecimal(1 + sampling.below(900)).append(EXPORT);
                hasQuery = true;
            }
            case FILE -> uri.append(UNICODE_PATHS[sampling.below(UNICODE_PATHS.length)]).appendDecimal(1 + sampling.below(500));
            case ADMIN -> uri.append(ADMIN_PATH);
            case HEALTH -> uri.append(HEALTH_PATH);
            case PUBLIC_PAGE -> {
                byte[] page = PUBLIC_PAGES[sampling.below(PUBLIC_PAGES.length)];
                uri.append(page);
                if (page[page.length - 1] == '/') {
                    uri.appendDecimal(1 + sampling.below(2_000));
                }
            }
            case STATIC -> uri.append(status == 404 ? MISSING_ASSET : asset.path);
            case BLOCKED -> uri.append(BLOCKED_PATH);
            case REDIRECT -> uri.append(OLD_PATH);
            case NO_ROUTE -> uri.append(NO_ROUTE_PATH);
        }
        if (takesSecretInQuery() && sampling.chance(mix.sensitiveQueryShare())) {
            uri.append(hasQuery ? '&' : '?').append(SECRET_PARAMETERS[sampling.below(SECRET_PARAMETERS.length)])
                    .appendHex(random.nextLong(), 16).appendHex(random.nextLong(), 16);
        }
    }

    private boolean takesSecretInQuery() {
        return route.readOnly && route != Route.HEALTH && route != Route.STATIC;
    }

    /** A random (version 4) UUID, as an order id. */
    private LineBuffer appendUuid(LineBuffer out) {
        long high = random.nextLong();
        long low = random.nextLong();
        high = (high & ~0xF000L) | 0x4000L;
        low = (low & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return out.appendHex(high >>> 32, 8).append('-').appendHex(high >>> 16, 4).append('-').appendHex(high, 4).append('-')
                .appendHex(low >>> 48, 4).append('-').appendHex(low, 12);
    }

    /** A file of the static site, with what Caddy's file_server sends for it. */
    record StaticAsset(byte[] path, byte[] contentType, int size, byte[] quotedEtag, boolean compressible) {
        StaticAsset(String path, String contentType, int size, String etag, boolean compressible) {
            this(utf8(path), utf8(contentType), size, utf8("\\\"" + etag + "\\\""), compressible);
        }
    }
}
