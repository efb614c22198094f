package dev.caddylightstep.access;

import dev.caddylightstep.config.Settings;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What never leaves the parser: request and response headers that carry credentials, and the values of
 * query parameters that carry secrets. Applied at the first stage so that no topic, span or log sees them.
 */
public final class Redaction {
    public static final String REDACTED = "REDACTED";
    public static final Set<String> ALWAYS_DROPPED_HEADERS = Set.of("authorization", "cookie", "set-cookie", "proxy-authorization");
    /**
     * Lower case. OpenTelemetry's url.query asks for AWSAccessKeyId, Signature, sig and X-Goog-Signature by default; S3's
     * signature version 4 carries the same in X-Amz-Credential and X-Amz-Signature, and a temporary credential's session
     * token in X-Amz-Security-Token: a signed URL grants access until it expires.
     */
    public static final Set<String> DEFAULT_SENSITIVE_QUERY_PARAMETERS =
            Set.of("token", "access_token", "api_key", "apikey", "key", "password", "secret", "sig", "signature",
                    "awsaccesskeyid", "x-goog-signature", "x-amz-credential", "x-amz-signature", "x-amz-security-token");

    private final Set<String> droppedHeaders;
    /** The same names, looked up without regard to case and without lower-casing every header of every line. */
    private final Set<String> droppedHeaderLookup;
    private final Set<String> sensitiveParameters;

    /** The built-in lists plus configured names (compared without regard to case). */
    public Redaction(Set<String> extraHeaders, Set<String> extraQueryParameters) {
        this.droppedHeaders = lowerCaseUnion(ALWAYS_DROPPED_HEADERS, extraHeaders);
        java.util.TreeSet<String> lookup = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        lookup.addAll(droppedHeaders);
        this.droppedHeaderLookup = java.util.Collections.unmodifiableSet(lookup);
        this.sensitiveParameters = lowerCaseUnion(DEFAULT_SENSITIVE_QUERY_PARAMETERS, extraQueryParameters);
    }

    /** The built-in lists and caddy.redact.headers, caddy.redact.query-parameters. */
    public static Redaction from(Settings s) {
        return new Redaction(new LinkedHashSet<>(s.list("caddy.redact.headers")), new LinkedHashSet<>(s.list("caddy.redact.query-parameters")));
    }

    public static Redaction defaults() {
        return new Redaction(Set.of(), Set.of());
    }

    public boolean dropsHeader(String name) {
        return droppedHeaderLookup.contains(name);
    }

    public Set<String> droppedHeaders() {
        return droppedHeaders;
    }

    public Set<String> sensitiveParameters() {
        return sensitiveParameters;
    }

    /** The query with the value of every sensitive parameter replaced by {@value #REDACTED}; the same instance when none. */
    public String redactQuery(String query) {
        if (query == null || query.isEmpty()) {
            return query;
        }
        StringBuilder out = null;
        int start = 0;
        // the next '=' at or after start, found once: looked for afresh at each parameter, a query of many without one
        // was searched to its end as many times (a 2 MB query: 19 to 24 s, where one pass takes 39 ms)
        int eq = -1;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            if (eq < start) {
                eq = query.indexOf('=', start);
                if (eq < 0) {
                    eq = Integer.MAX_VALUE;
                }
            }
            boolean hasValue = eq < end;
            boolean sensitive = hasValue && eq + 1 < end && isSensitive(query, start, eq);
            if (sensitive && out == null) {
                out = new StringBuilder(query.length()).append(query, 0, start);
            }
            if (out != null) {
                if (sensitive) {
                    out.append(query, start, eq + 1).append(REDACTED);
                } else {
                    out.append(query, start, end);
                }
                if (end < query.length()) {
                    out.append('&');
                }
            }
            start = end + 1;
        }
        return out == null ? query : out.toString();
    }

    private boolean isSensitive(String query, int from, int to) {
        return isSensitiveParameter(query.substring(from, to));
    }

    /** Whether a query parameter, by its name as written (percent-encoded or not), carries a secret. */
    boolean isSensitiveParameter(String name) {
        String decoded = name.indexOf('%') >= 0 || name.indexOf('+') >= 0 ? PercentDecoding.formComponent(name) : name;
        return sensitiveParameters.contains(decoded.toLowerCase(Locale.ROOT));
    }

    /**
     * A line as it was read, for its dead letter, with the redaction a span gets: credential and configured headers
     * removed, sensitive query values in its uri replaced; every other byte as it was. The same array when nothing
     * was redacted.
     */
    public byte[] redactLine(byte[] line) {
        return line == null ? null : RawLineRedaction.of(this, line);
    }

    private static Set<String> lowerCaseUnion(Set<String> builtIn, Set<String> extra) {
        return Stream.concat(builtIn.stream(), extra.stream())
                .map(name -> name.trim().toLowerCase(Locale.ROOT))
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }
}
