package dev.caddylightstep.access;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The metrics of a response's {@code Server-Timing} headers (W3C Server Timing): {@code name;dur=12.5;desc="..."},
 * several to a header, several headers; of an entry's parameters only {@code dur} is kept, the others (a
 * {@code desc}) are checked and skipped, since no stage reads them. A backend's frameworks report their database, cache and render time there,
 * and Caddy 2.6 can add its own time to the upstream's response headers as {@value #CADDY_UPSTREAM}.
 *
 * <p>The header is the client-facing backend's to write and anyone's to forge, so reading it never fails a line: an
 * entry that is not {@code token *(; param)} with a non-negative decimal {@code dur} is skipped and counted, and so
 * are entries past the {@value #MAX_METRICS}th. Reading is one pass over the header's characters.
 *
 * @param metrics the entries read, in the order the headers gave them
 * @param skipped the entries not read: malformed, or past the {@value #MAX_METRICS}th
 */
public record ServerTiming(List<Metric> metrics, int skipped) {
    public static final String HEADER = "Server-Timing";
    /** The entry Caddy's {@code header_down +Server-Timing "caddy-upstream;dur={http.reverse_proxy.upstream.latency_ms}"} adds. */
    public static final String CADDY_UPSTREAM = "caddy-upstream";
    public static final ServerTiming NONE = new ServerTiming(List.of(), 0);
    static final int MAX_METRICS = 64;
    /** A duration is a decimal number of milliseconds; longer text is no duration a backend measured. */
    private static final int MAX_NUMBER_CHARS = 32;

    public ServerTiming {
        metrics = List.copyOf(metrics);
    }

    /**
     * @param name as the header has it (a token: any case, possibly characters span attributes do not take)
     * @param durationMillis NaN when the entry has no {@code dur}
     */
    public record Metric(String name, double durationMillis) {
        public boolean hasDuration() {
            return !Double.isNaN(durationMillis);
        }
    }

    /** The metrics of every value of the header, as a line logged them. */
    public static ServerTiming parse(List<String> values) {
        if (values.isEmpty()) {
            return NONE;
        }
        Reading reading = new Reading();
        for (String value : values) {
            reading.header(value);
        }
        return reading.metrics.isEmpty() && reading.skipped == 0 ? NONE
                : new ServerTiming(Collections.unmodifiableList(reading.metrics), reading.skipped);
    }

    /** The entry Caddy added for its upstream call, or null. */
    public Metric caddyUpstream() {
        for (Metric metric : metrics) {
            if (metric.name().equalsIgnoreCase(CADDY_UPSTREAM) && metric.hasDuration()) {
                return metric;
            }
        }
        return null;
    }

    /** The backend's own entries: every one but Caddy's. */
    public List<Metric> backend() {
        List<Metric> backend = new ArrayList<>(metrics.size());
        for (Metric metric : metrics) {
            if (!metric.name().equalsIgnoreCase(CADDY_UPSTREAM)) {
                backend.add(metric);
            }
        }
        return backend;
    }

    /** A duration as the header or a log_append field writes it: a non-negative decimal, no exponent, no sign. */
    static double decimalMillis(String text) {
        if (text.isEmpty() || text.length() > MAX_NUMBER_CHARS) {
            return Double.NaN;
        }
        boolean dot = false;
        boolean digit = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.' && !dot) {
                dot = true;
            } else if (c >= '0' && c <= '9') {
                digit = true;
            } else {
                return Double.NaN;
            }
        }
        return digit ? Double.parseDouble(text) : Double.NaN;
    }

    /** One pass over the headers' characters, entry by entry. */
    private static final class Reading {
        final List<Metric> metrics = new ArrayList<>();
        int skipped;
        private String text;
        private int at;

        void header(String value) {
            text = value;
            at = 0;
            while (at < text.length()) {
                skipWhitespace();
                if (at >= text.length()) {
                    return;
                }
                if (text.charAt(at) == ',') {
                    // an empty list element, which HTTP's list syntax allows
                    at++;
                    continue;
                }
                Metric metric = entry();
                if (metric == null) {
                    skipped++;
                    skipToNextEntry();
                } else if (metrics.size() >= MAX_METRICS) {
                    skipped++;
                } else {
                    metrics.add(metric);
                }
            }
        }

        /** An entry up to its ',' or the header's end, the ',' read; null when malformed (the position is then inside it). */
        private Metric entry() {
            String name = token();
            if (name == null) {
                return null;
            }
            double duration = Double.NaN;
            boolean hadDuration = false;
            while (true) {
                skipWhitespace();
                if (at >= text.length()) {
                    return new Metric(name, duration);
                }
                char c = text.charAt(at);
                if (c == ',') {
                    at++;
                    return new Metric(name, duration);
                }
                if (c != ';') {
                    return null;
                }
                at++;
                skipWhitespace();
                int parameter = at;
                if (!skipToken()) {
                    return null;
                }
                // the first of a parameter counts, as the specification's processing model says
                boolean isDuration = !hadDuration && at - parameter == 3 && text.regionMatches(true, parameter, "dur", 0, 3);
                skipWhitespace();
                String value = "";
                // a parameter without a value is allowed, and means an empty one
                if (at < text.length() && text.charAt(at) == '=') {
                    at++;
                    skipWhitespace();
                    boolean quoted = at < text.length() && text.charAt(at) == '"';
                    if (isDuration) {
                        value = quoted ? quoted() : token();
                        if (value == null) {
                            return null;
                        }
                    } else if (!(quoted ? skipQuoted() : skipToken())) {
                        return null;
                    }
                }
                if (isDuration) {
                    hadDuration = true;
                    duration = decimalMillis(value);
                    if (Double.isNaN(duration)) {
                        return null;
                    }
                }
            }
        }

        private String token() {
            int start = at;
            return skipToken() ? text.substring(start, at) : null;
        }

        /** Past a token; false when there is none. */
        private boolean skipToken() {
            int start = at;
            while (at < text.length() && isTokenChar(text.charAt(at))) {
                at++;
            }
            return at > start;
        }

        /** A quoted-string, its escapes undone; null when it does not end. */
        private String quoted() {
            StringBuilder value = new StringBuilder();
            at++;
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\') {
                    if (at >= text.length()) {
                        return null;
                    }
                    c = text.charAt(at++);
                }
                value.append(c);
            }
            return null;
        }

        /** Past a quoted-string, as {@link #quoted()} reads it; false when it does not end. */
        private boolean skipQuoted() {
            at++;
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return true;
                }
                if (c == '\\') {
                    if (at >= text.length()) {
                        return false;
                    }
                    at++;
                }
            }
            return false;
        }

        /** Past the next ',' outside a quoted string, or to the end. */
        private void skipToNextEntry() {
            boolean inQuotes = false;
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (inQuotes && c == '\\') {
                    at++;
                } else if (c == '"') {
                    inQuotes = !inQuotes;
                } else if (c == ',' && !inQuotes) {
                    return;
                }
            }
        }

        private void skipWhitespace() {
            while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
                at++;
            }
        }

        /** RFC 9110's tchar. */
        private static boolean isTokenChar(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }
}
