package dev.caddylightstep.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A path pattern of a policy rule: segments separated by '/', where a segment {@code *} matches exactly one
 * segment, {@code **} any number (also none), and a {@code *} inside a segment any characters but '/'.
 * Compiled once per policy; matching walks the path without allocating.
 */
public final class PathGlob {
    private final String text;
    private final String[] segments;

    private PathGlob(String text, String[] segments) {
        this.text = text;
        this.segments = segments;
    }

    /** Throws IllegalArgumentException with a reason when the text is not a glob. */
    public static PathGlob compile(String text) {
        if (text.isEmpty() || text.charAt(0) != '/') {
            throw new IllegalArgumentException("path glob '" + text + "' must start with /");
        }
        List<String> parts = new ArrayList<>();
        for (String segment : text.substring(1).split("/", -1)) {
            if (segment.contains("**") && !segment.equals("**")) {
                throw new IllegalArgumentException("path glob '" + text + "': ** must be a whole segment");
            }
            parts.add(segment);
        }
        return new PathGlob(text, parts.toArray(String[]::new));
    }

    public boolean matches(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        return match(0, path, 1);
    }

    /** Whether segments[g..] match the path from position pos (just after a '/'). */
    private boolean match(int g, String path, int pos) {
        if (g == segments.length) {
            return pos > path.length();
        }
        if (pos > path.length()) {
            // the path is used up: only trailing ** may still match nothing
            for (int i = g; i < segments.length; i++) {
                if (!segments[i].equals("**")) {
                    return false;
                }
            }
            return true;
        }
        int end = path.indexOf('/', pos);
        if (end < 0) {
            end = path.length();
        }
        String glob = segments[g];
        if (glob.equals("**")) {
            return match(g + 1, path, pos) || match(g, path, end + 1);
        }
        return segmentMatches(glob, path, pos, end) && match(g + 1, path, end + 1);
    }

    private static boolean segmentMatches(String glob, String path, int from, int to) {
        if (glob.equals("*")) {
            return true;
        }
        if (glob.indexOf('*') < 0) {
            return glob.length() == to - from && path.startsWith(glob, from);
        }
        return wildcard(glob, 0, path, from, to);
    }

    private static boolean wildcard(String glob, int gi, String path, int pi, int end) {
        while (gi < glob.length()) {
            char c = glob.charAt(gi);
            if (c == '*') {
                for (int k = pi; k <= end; k++) {
                    if (wildcard(glob, gi + 1, path, k, end)) {
                        return true;
                    }
                }
                return false;
            }
            if (pi >= end || path.charAt(pi) != c) {
                return false;
            }
            gi++;
            pi++;
        }
        return pi == end;
    }

    @Override
    public String toString() {
        return text;
    }
}
