package dev.caddylightstep.access;

import java.util.ArrayList;
import java.util.List;

/**
 * A W3C tracestate within Trace Context's limits: list members of the form its grammar gives (any other left out), at
 * most 32 of them and 512 characters joined. Past either, whole members go: first those over 128 characters, then
 * from the end, as the specification tells a vendor to truncate. The header comes from whoever sent the request, and
 * each of the request's spans carries it: any length and any number of members make one of at most 512 characters,
 * rather than spans too large to export.
 */
public final class TraceState {
    static final int MAX_MEMBERS = 32;
    static final int MAX_CHARS = 512;
    private static final int LONG_MEMBER = 128;
    private static final int MAX_KEY = 256;
    private static final int MAX_TENANT = 241;
    private static final int MAX_SYSTEM = 14;
    private static final int MAX_VALUE = 256;

    private TraceState() {
    }

    /** The tracestate of a header within the limits, or null when no member is left. */
    public static String limited(String header) {
        if (header == null) {
            return null;
        }
        // most come as limited would make them: kept as they are, with nothing made
        if (header.length() <= MAX_CHARS && isLimited(header)) {
            return header;
        }
        List<String> members = new ArrayList<>();
        int joined = -1;
        for (int from = 0; from <= header.length(); ) {
            int comma = header.indexOf(',', from);
            int end = comma < 0 ? header.length() : comma;
            // optional white space around a member, and empty members, are allowed
            int start = owsEnd(header, from, end);
            end = owsStart(header, start, end);
            if (isMember(header, start, end)) {
                members.add(header.substring(start, end));
                joined += end - start + 1;
            }
            from = comma < 0 ? header.length() + 1 : comma + 1;
        }
        if (members.size() > MAX_MEMBERS || joined > MAX_CHARS) {
            truncate(members);
        }
        return members.isEmpty() ? null : String.join(",", members);
    }

    /** Whether each of the header's members is one of the grammar (no white space around it, none empty), at most 32. */
    private static boolean isLimited(String header) {
        int members = 0;
        for (int from = 0; ; ) {
            int comma = indexOf(header, ',', from, header.length());
            int end = comma < 0 ? header.length() : comma;
            if (!isMember(header, from, end) || ++members > MAX_MEMBERS) {
                return false;
            }
            if (comma < 0) {
                return true;
            }
            from = comma + 1;
        }
    }

    /** Members over 128 characters out, then members from the end until within the limits. */
    private static void truncate(List<String> members) {
        members.removeIf(member -> member.length() > LONG_MEMBER);
        int joined = -1;
        int kept = 0;
        while (kept < members.size() && kept < MAX_MEMBERS && joined + members.get(kept).length() + 1 <= MAX_CHARS) {
            joined += members.get(kept++).length() + 1;
        }
        members.subList(kept, members.size()).clear();
    }

    /** key "=" value, as Trace Context's grammar gives them. */
    private static boolean isMember(String s, int from, int to) {
        int eq = indexOf(s, '=', from, to);
        return eq >= 0 && isKey(s, from, eq) && isValue(s, eq + 1, to);
    }

    /** Within the member only: String.indexOf would search the rest of the header for each member, quadratic in it. */
    private static int indexOf(String s, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** A simple key (lcalpha then up to 255 of lcalpha, DIGIT, "_-*\/"), or tenant-id "@" system-id. */
    private static boolean isKey(String s, int from, int to) {
        int at = indexOf(s, '@', from, to);
        if (at < 0) {
            return to - from <= MAX_KEY && isLowerAlpha(s, from, to) && keyChars(s, from + 1, to);
        }
        return at - from <= MAX_TENANT && at > from && (isLowerAlpha(s, from, at) || isDigit(s.charAt(from))) && keyChars(s, from + 1, at)
                && to - at - 1 <= MAX_SYSTEM && isLowerAlpha(s, at + 1, to) && keyChars(s, at + 2, to);
    }

    private static boolean isLowerAlpha(String s, int from, int to) {
        return from < to && s.charAt(from) >= 'a' && s.charAt(from) <= 'z';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean keyChars(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/')) {
                return false;
            }
        }
        return true;
    }

    /** Up to 256 printable ASCII characters but "," and "=", the last no space. */
    private static boolean isValue(String s, int from, int to) {
        if (to - from < 1 || to - from > MAX_VALUE || s.charAt(to - 1) == ' ') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the optional white space HTTP allows at the start of {@code s[from, to)} ends: spaces and tabs, which Trace
     * Context's headers allow around their values and list members (String.trim would take any control character too).
     */
    static int owsEnd(String s, int from, int to) {
        while (from < to && isOws(s.charAt(from))) {
            from++;
        }
        return from;
    }

    /** Where the optional white space at the end of {@code s[from, to)} starts. */
    static int owsStart(String s, int from, int to) {
        while (to > from && isOws(s.charAt(to - 1))) {
            to--;
        }
        return to;
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }
}
