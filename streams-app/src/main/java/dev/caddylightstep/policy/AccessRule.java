package dev.caddylightstep.policy;

import java.util.Locale;

/**
 * One rule of a policy, written {@code "METHOD /glob"}: METHOD is an HTTP method or {@code *}.
 *
 * @param method upper case, or "*" for any
 */
public record AccessRule(String method, PathGlob glob, String text) {

    /** Throws IllegalArgumentException naming what is wrong with the rule. */
    public static AccessRule parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        int space = trimmed.indexOf(' ');
        if (space <= 0) {
            throw new IllegalArgumentException("rule '" + text + "' is not 'METHOD /glob'");
        }
        String method = trimmed.substring(0, space).toUpperCase(Locale.ROOT);
        String glob = trimmed.substring(space + 1).trim();
        if (!method.equals("*") && !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("rule '" + text + "': '" + trimmed.substring(0, space) + "' is not an HTTP method or *");
        }
        return new AccessRule(method, PathGlob.compile(glob), trimmed);
    }

    public boolean matches(String requestMethod, String path) {
        return (method.equals("*") || method.equalsIgnoreCase(requestMethod)) && glob.matches(path);
    }
}
