package dev.caddylightstep.route;

/**
 * A configured route template such as {@code /api/{tenant}/items/{id}}: a {@code {name}} segment matches any
 * one segment, other segments match themselves, and a matching path's route is the template itself.
 */
public final class RoutePattern {
    private final String template;
    private final String[] segments;

    private RoutePattern(String template, String[] segments) {
        this.template = template;
        this.segments = segments;
    }

    /** Throws IllegalArgumentException naming what is wrong with the template. */
    public static RoutePattern parse(String template) {
        String t = template.trim();
        if (t.isEmpty() || t.charAt(0) != '/') {
            throw new IllegalArgumentException("route pattern '" + template + "' must start with /");
        }
        if (t.length() > RouteTemplates.MAX_ROUTE_CHARS) {
            throw new IllegalArgumentException("route pattern '" + template + "' is longer than " + RouteTemplates.MAX_ROUTE_CHARS + " characters");
        }
        String[] segments = t.substring(1).split("/", -1);
        for (String segment : segments) {
            boolean placeholder = segment.startsWith("{") && segment.endsWith("}");
            if (!placeholder && (segment.indexOf('{') >= 0 || segment.indexOf('}') >= 0)) {
                throw new IllegalArgumentException("route pattern '" + template + "': a placeholder must be a whole segment, like {id}");
            }
            if (placeholder && segment.length() == 2) {
                throw new IllegalArgumentException("route pattern '" + template + "': a placeholder needs a name, like {id}");
            }
        }
        return new RoutePattern(t, segments);
    }

    public String template() {
        return template;
    }

    boolean matches(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        int pos = 1;
        for (int i = 0; i < segments.length; i++) {
            if (pos > path.length()) {
                return false;
            }
            int end = path.indexOf('/', pos);
            if (end < 0) {
                end = path.length();
            }
            String segment = segments[i];
            boolean placeholder = segment.startsWith("{");
            if (placeholder ? end == pos : !(segment.length() == end - pos && path.startsWith(segment, pos))) {
                return false;
            }
            pos = end + 1;
        }
        return pos > path.length();
    }

    @Override
    public String toString() {
        return template;
    }
}
