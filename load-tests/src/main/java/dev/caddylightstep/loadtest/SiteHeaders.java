package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

import java.util.SplittableRandom;

/**
 * The headers of the site's requests and of their answers: what each client sends, basicauth's credentials, trace
 * context and the odd large header, and what the upstream, file_server or Caddy itself answers with. Not thread-safe.
 */
final class SiteHeaders {
    private static final byte[] USER_AGENT = utf8("User-Agent");
    private static final byte[] ACCEPT = utf8("Accept");
    private static final byte[] ACCEPT_ENCODING = utf8("Accept-Encoding");
    private static final byte[] ACCEPT_LANGUAGE = utf8("Accept-Language");
    private static final byte[] AUTHORIZATION = utf8("Authorization");
    private static final byte[] COOKIE = utf8("Cookie");
    private static final byte[] CONNECTION = utf8("Connection");
    private static final byte[] CONTENT_TYPE = utf8("Content-Type");
    private static final byte[] CONTENT_LENGTH = utf8("Content-Length");
    private static final byte[] IF_NONE_MATCH = utf8("If-None-Match");
    private static final byte[] TRACEPARENT = utf8("Traceparent");
    private static final byte[] TRACESTATE = utf8("Tracestate");
    private static final byte[] CLIENT_CERT = utf8("X-Forwarded-Client-Cert");
    private static final byte[] SERVER = utf8("Server");
    private static final byte[] DATE = utf8("Date");
    private static final byte[] ALT_SVC = utf8("Alt-Svc");
    private static final byte[] WWW_AUTHENTICATE = utf8("Www-Authenticate");
    private static final byte[] LOCATION = utf8("Location");
    private static final byte[] ETAG = utf8("Etag");
    private static final byte[] LAST_MODIFIED = utf8("Last-Modified");
    private static final byte[] ACCEPT_RANGES = utf8("Accept-Ranges");
    private static final byte[] CONTENT_ENCODING = utf8("Content-Encoding");
    private static final byte[] VARY = utf8("Vary");

    private static final byte[] ANY = utf8("*/*");
    private static final byte[] JSON = utf8("application/json");
    private static final byte[] JSON_FIRST = utf8("application/json, text/plain, */*");
    private static final byte[] HTML_FIRST = utf8("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    private static final byte[] BROWSER_ENCODINGS = utf8("gzip, deflate, br");
    private static final byte[] GZIP = utf8("gzip");
    private static final byte[] GZIP_DEFLATE = utf8("gzip, deflate");
    private static final byte[] ENGLISH = utf8("en-US,en;q=0.9");
    private static final byte[] KEEP_ALIVE = utf8("keep-alive");
    private static final byte[] CLOSE = utf8("close");
    private static final byte[] CADDY = utf8("\"Caddy\"");
    private static final byte[] CADDY_AND_UPSTREAM = utf8("\"Caddy\",\"uvicorn\"");
    private static final byte[] NO_VALUES = new byte[0];
    private static final byte[] TEXT_PLAIN = utf8("text/plain; charset=utf-8");
    private static final byte[] TEXT_HTML = utf8("text/html; charset=utf-8");
    private static final byte[] OCTET_STREAM = utf8("application/octet-stream");
    private static final byte[] CSV = utf8("text/csv; charset=utf-8");
    private static final byte[] BASIC_REALM = utf8("Basic realm=\\\"restricted\\\"");
    private static final byte[] H3_ON_443 = utf8("h3=\\\":443\\\"; ma=2592000");
    private static final byte[] NEW_PAGE = utf8("/new/");
    private static final byte[] BYTES = utf8("bytes");
    private static final byte[] LAST_DEPLOY = utf8("Mon, 23 Nov 2026 09:12:44 GMT");

    private static final byte[] KUBE_PROBE = utf8("kube-probe/1.28");

    private static final byte[] TRACEPARENT_VERSION = utf8("\"00-");
    private static final byte[] TRACESTATE_CONGO = utf8("\"congo=t61rcWkgMzE,rojo=");
    private static final byte[] TRACESTATE_ROJO = utf8("\"rojo=");
    private static final byte[] CERT_HASH = utf8("\"By=spiffe://cluster.local/ns/shop/sa/api;Hash=");
    private static final byte[] CERT_SUBJECT = utf8(";Subject=\\\"CN=partner-client\\\";URI=spiffe://cluster.local/ns/partner/sa/client;"
            + "Cert=\\\"-----BEGIN%20CERTIFICATE-----%0A");
    private static final byte[] CERT_END = utf8("%0A-----END%20CERTIFICATE-----%0A\\\"\"");
    private static final byte[] CERT_BODY = base64Blob(6_000);

    private final RequestMix mix;
    private final Sampling sampling;
    private final SplittableRandom random;
    private final HttpDate dates = new HttpDate();
    private final HeaderSet request = new HeaderSet();
    private final HeaderSet response = new HeaderSet();
    private boolean traceparent;

    SiteHeaders(RequestMix mix, Sampling sampling) {
        this.mix = mix;
        this.sampling = sampling;
        this.random = sampling.random();
    }

    HeaderSet request() {
        return request;
    }

    HeaderSet response() {
        return response;
    }

    boolean withTraceparent() {
        return traceparent;
    }

    /** Draws the headers of the request {@code site} drew last, and of its answer at {@code endEpochNanos}. */
    void draw(SiteTraffic site, long endEpochNanos) {
        writeRequestHeaders(site);
        writeResponseHeaders(site, endEpochNanos);
    }

    private void writeRequestHeaders(SiteTraffic site) {
        HeaderSet h = request;
        h.clear();
        traceparent = false;
        if (site.route() == Route.HEALTH) {
            h.add(USER_AGENT, KUBE_PROBE);
            h.add(ACCEPT, ANY);
            h.add(CONNECTION, CLOSE);
            return;
        }
        h.add(USER_AGENT, site.agent().header);
        writeClientHeaders(h, site);
        if (site.client() != SiteTraffic.Client.ANONYMOUS) {
            h.addRedacted(AUTHORIZATION);
        }
        if (site.route().sendsBody()) {
            h.add(CONTENT_TYPE, JSON);
            h.begin(CONTENT_LENGTH).append('"').appendDecimal(200 + sampling.below(3_000)).append('"');
            h.end();
        }
        if (site.status() == 304) {
            h.begin(IF_NONE_MATCH).append('"').append(site.asset().quotedEtag()).append('"');
            h.end();
        }
        if (sampling.chance(mix.traceparentShare())) {
            writeTraceContext(h);
        }
        if (sampling.chance(mix.bigHeaderShare())) {
            writeClientCertificate(h);
        }
    }

    private void writeClientHeaders(HeaderSet h, SiteTraffic site) {
        Route route = site.route();
        UserAgent agent = site.agent();
        if (agent.browser) {
            h.add(ACCEPT, route == Route.PUBLIC_PAGE ? HTML_FIRST : route == Route.STATIC ? ANY : JSON_FIRST);
            h.add(ACCEPT_ENCODING, BROWSER_ENCODINGS);
            h.add(ACCEPT_LANGUAGE, ENGLISH);
            if (!route.protectedByBasicAuth && sampling.chance(0.5)) {
                h.addRedacted(COOKIE);
            }
            return;
        }
        if (agent == UserAgent.PYTHON_REQUESTS) {
            h.add(ACCEPT, ANY);
            h.add(ACCEPT_ENCODING, GZIP_DEFLATE);
            if (!site.http2()) {
                h.add(CONNECTION, KEEP_ALIVE);
            }
        } else if (agent == UserAgent.OKHTTP) {
            h.add(ACCEPT_ENCODING, GZIP);
        } else {
            h.add(ACCEPT, ANY);
        }
    }

    /** A valid W3C traceparent (version 00, non-zero ids, mostly sampled), and on a third of them a tracestate. */
    private void writeTraceContext(HeaderSet h) {
        traceparent = true;
        long traceHigh = random.nextLong();
        long traceLow = random.nextLong();
        long parent = random.nextLong();
        if ((traceHigh | traceLow) == 0) {
            traceLow = 1;
        }
        if (parent == 0) {
            parent = 1;
        }
        h.begin(TRACEPARENT).append(TRACEPARENT_VERSION).appendHex(traceHigh, 16).appendHex(traceLow, 16).append('-')
                .appendHex(parent, 16).append('-').append('0').append(sampling.chance(0.9) ? '1' : '0').append('"');
        h.end();
        if (sampling.chance(1.0 / 3)) {
            h.begin(TRACESTATE).append(sampling.chance(0.5) ? TRACESTATE_ROJO : TRACESTATE_CONGO)
                    .appendHex(random.nextLong(), 16).append('"');
            h.end();
        }
    }

    /** A forwarded client certificate (Envoy's header): 2 to 6 KB, with quotes that JSON escapes. */
    private void writeClientCertificate(HeaderSet h) {
        LineBuffer value = h.begin(CLIENT_CERT).append(CERT_HASH);
        for (int i = 0; i < 4; i++) {
            value.appendHex(random.nextLong(), 16);
        }
        value.append(CERT_SUBJECT).append(CERT_BODY, 0, 1_500 + sampling.below(CERT_BODY.length - 1_500)).append(CERT_END);
        h.end();
    }

    private void writeResponseHeaders(SiteTraffic site, long endEpochNanos) {
        HeaderSet h = response;
        h.clear();
        if (site.status() == 401) {
            h.addList(SERVER, CADDY);
            h.add(WWW_AUTHENTICATE, BASIC_REALM);
        } else if (site.upstreamAnswered()) {
            h.addList(SERVER, CADDY_AND_UPSTREAM);
            h.add(DATE, dates.at(endEpochNanos));
            if (site.status() != 204) {
                h.add(CONTENT_TYPE, upstreamContentType(site));
                addContentLength(h, site.size());
            }
        } else if (site.route().backend == Route.Backend.FILES) {
            writeFileHeaders(h, site);
        } else {
            h.addList(SERVER, CADDY);
            writeCaddyAnswerHeaders(h, site.route());
        }
        if (site.overTls()) {
            h.add(ALT_SVC, H3_ON_443);
        }
    }

    private static byte[] upstreamContentType(SiteTraffic site) {
        if (site.status() == 503) {
            return TEXT_PLAIN;
        }
        if (site.status() != 200) {
            return JSON;
        }
        return switch (site.route()) {
            case BLOB, FILE -> OCTET_STREAM;
            case REPORT -> CSV;
            case PUBLIC_PAGE -> TEXT_HTML;
            default -> JSON;
        };
    }

    private static void writeFileHeaders(HeaderSet h, SiteTraffic site) {
        h.addList(SERVER, CADDY);
        if (site.status() == 404) {
            return;
        }
        h.begin(ETAG).append('"').append(site.asset().quotedEtag()).append('"');
        h.end();
        if (site.status() == 304) {
            return;
        }
        h.add(CONTENT_TYPE, site.asset().contentType());
        h.add(LAST_MODIFIED, LAST_DEPLOY);
        if (site.gzipped()) {
            h.add(CONTENT_ENCODING, GZIP);
            h.add(VARY, ACCEPT_ENCODING);
        } else {
            h.add(ACCEPT_RANGES, BYTES);
            addContentLength(h, site.size());
        }
    }

    private static void writeCaddyAnswerHeaders(HeaderSet h, Route route) {
        switch (route) {
            case ADMIN, HEALTH, BLOCKED -> h.add(CONTENT_TYPE, TEXT_PLAIN);
            case REDIRECT -> {
                h.add(LOCATION, NEW_PAGE);
                // Caddy's redir blanks the Content-Type, and the capture shows it logged as []
                h.addList(CONTENT_TYPE, NO_VALUES);
            }
            default -> {
                // status 0, 502 and 504: Caddy wrote nothing but its Server header
            }
        }
    }

    private static void addContentLength(HeaderSet h, long size) {
        h.begin(CONTENT_LENGTH).append('"').appendDecimal(size).append('"');
        h.end();
    }

    private static byte[] base64Blob(int length) {
        byte[] alphabet = utf8("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
        SplittableRandom fixed = new SplittableRandom(0x5EED_CE27L);
        byte[] blob = new byte[length];
        for (int i = 0; i < length; i++) {
            blob[i] = alphabet[fixed.nextInt(alphabet.length)];
        }
        return blob;
    }
}
