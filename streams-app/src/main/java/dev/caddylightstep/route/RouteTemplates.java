package dev.caddylightstep.route;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request path into its route template ({@code http.route}): the first configured pattern that
 * matches wins; otherwise segments that are ids become placeholders: all digits {@code {id}}, a UUID
 * {@code {uuid}}, 16 or more hex digits {@code {hex}}. A template longer than {@value #MAX_ROUTE_CHARS}
 * characters names no route anyone declared: it is no route at all (null), as a span's name and a window's key must
 * stay small whatever path a client sends.
 */
public final class RouteTemplates {
    public static final int MAX_ROUTE_CHARS = 256;

    private final List<RoutePattern> patterns;

    public RouteTemplates(List<RoutePattern> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** caddy.route.patterns, each checked. */
    public static RouteTemplates from(Settings s) {
        List<RoutePattern> patterns = new ArrayList<>();
        for (String template : s.list("caddy.route.patterns")) {
            try {
                patterns.add(RoutePattern.parse(template));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("caddy.route.patterns (CADDY_ROUTE_PATTERNS): " + e.getMessage());
            }
        }
        return new RouteTemplates(patterns);
    }

    /** The path's route, or null when it has none a template could name. */
    public String templateOf(String path) {
        for (RoutePattern pattern : patterns) {
            if (pattern.matches(path)) {
                return pattern.template();
            }
        }
        return withPlaceholders(path);
    }

    /** One pass over the path, which stops once the template is longer than a route can be. */
    private static String withPlaceholders(String path) {
        StringBuilder out = null;
        int start = 0;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String placeholder = placeholderFor(path, start, end);
            if (placeholder != null && out == null) {
                out = new StringBuilder(Math.min(path.length(), MAX_ROUTE_CHARS) + 8).append(path, 0, Math.min(start, MAX_ROUTE_CHARS + 1));
            }
            if (out != null) {
                if (placeholder != null) {
                    out.append(placeholder);
                } else {
                    out.append(path, start, end);
                }
                if (end < path.length()) {
                    out.append('/');
                }
                if (out.length() > MAX_ROUTE_CHARS) {
                    return null;
                }
            }
            start = end + 1;
        }
        if (out == null) {
            return path.length() <= MAX_ROUTE_CHARS ? path : null;
        }
        return out.toString();
    }

    private static String placeholderFor(String path, int from, int to) {
        int length = to - from;
        if (length == 0) {
            return null;
        }
        if (allDigits(path, from, to)) {
            return "{id}";
        }
        if (length == 36 && isUuid(path, from)) {
            return "{uuid}";
        }
        if (length >= 16 && allHex(path, from, to)) {
            return "{hex}";
        }
        return null;
    }

    private static boolean allDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean allHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0 || s.charAt(i) > 'f') {
                return false;
            }
        }
        return true;
    }

    private static boolean isUuid(String s, int from) {
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(from + i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : Character.digit(c, 16) < 0 || c > 'f') {
                return false;
            }
        }
        return true;
    }
}
