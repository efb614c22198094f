package dev.caddylightstep.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A path pattern of a policy rule: segments separated by '/', where a segment {@code *} matches exactly one
 * segment, {@code **} any number (also none), and a {@code *} inside a segment any characters but '/'.
 * Compiled once per policy; matching walks the path without allocating.
 *
 * <p>The path is chosen by whoever sends the request, so matching is linear in it for every rule, without
 * recursion: the segments between two {@code **} form a block that must match consecutive path segments, the
 * first block is anchored at the start and the last at the end, and each block in between is taken at its
 * leftmost place. Leftmost is never wrong, because the {@code **} after a block can absorb whatever a later
 * place would have left over. A path of n segments costs at most n tries per segment of the rule.
 */
public final class PathGlob {
    private static final String ANY_SEGMENTS = "**";

    private final String text;
    /** The segments before the first {@code **}, or all of them when there is none. */
    private final String[] head;
    /** The blocks between two {@code **}, in order; empty ones (from {@code ** / **}) left out. */
    private final String[][] middle;
    /** The segments after the last {@code **}; empty when there is none. */
    private final String[] tail;
    private final boolean anySegments;

    private PathGlob(String text, String[] head, String[][] middle, String[] tail, boolean anySegments) {
        this.text = text;
        this.head = head;
        this.middle = middle;
        this.tail = tail;
        this.anySegments = anySegments;
    }

    /** Throws IllegalArgumentException with a reason when the text is not a glob. */
    public static PathGlob compile(String text) {
        if (text.isEmpty() || text.charAt(0) != '/') {
            throw new IllegalArgumentException("path glob '" + text + "' must start with /");
        }
        List<List<String>> blocks = new ArrayList<>();
        blocks.add(new ArrayList<>());
        for (String segment : text.substring(1).split("/", -1)) {
            if (segment.equals(ANY_SEGMENTS)) {
                blocks.add(new ArrayList<>());
            } else if (segment.contains(ANY_SEGMENTS)) {
                throw new IllegalArgumentException("path glob '" + text + "': ** must be a whole segment");
            } else {
                blocks.get(blocks.size() - 1).add(segment);
            }
        }
        String[] head = blocks.get(0).toArray(String[]::new);
        if (blocks.size() == 1) {
            return new PathGlob(text, head, new String[0][], new String[0], false);
        }
        String[][] middle = blocks.subList(1, blocks.size() - 1).stream()
                .filter(block -> !block.isEmpty())
                .map(block -> block.toArray(String[]::new))
                .toArray(String[][]::new);
        return new PathGlob(text, head, middle, blocks.get(blocks.size() - 1).toArray(String[]::new), true);
    }

    /**
     * Whether the path matches. Positions below are where a segment starts: just after its '/', so that the
     * path's length is where an empty last segment ("/api/") starts, and length + 1 is past every segment.
     */
    public boolean matches(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        int end = path.length() + 1;
        int cursor = matchHere(head, path, 1, end);
        if (cursor < 0) {
            return false;
        }
        if (!anySegments) {
            return cursor == end;
        }
        int tailStart = tailStart(path, cursor);
        if (tailStart < 0 || matchHere(tail, path, tailStart, end) < 0) {
            return false;
        }
        for (String[] block : middle) {
            cursor = leftmost(block, path, cursor, tailStart);
            if (cursor < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Matches the block against the segments that start at {@code pos}, none of them starting at or after
     * {@code limit}; the position after them, or -1.
     */
    private static int matchHere(String[] block, String path, int pos, int limit) {
        for (String glob : block) {
            if (pos >= limit) {
                return -1;
            }
            int segmentEnd = segmentEnd(path, pos);
            if (!segmentMatches(glob, path, pos, segmentEnd)) {
                return -1;
            }
            pos = segmentEnd + 1;
        }
        return pos;
    }

    /** The first place at or after {@code from} where the whole block matches before {@code limit}; the position after it, or -1. */
    private static int leftmost(String[] block, String path, int from, int limit) {
        for (int pos = from; pos < limit; pos = segmentEnd(path, pos) + 1) {
            int after = matchHere(block, path, pos, limit);
            if (after >= 0) {
                return after;
            }
        }
        return -1;
    }

    /** Where the tail's first segment starts, counting its segments back from the end; -1 if they reach before {@code cursor}. */
    private int tailStart(String path, int cursor) {
        int start = path.length() + 1;
        for (int i = 0; i < tail.length; i++) {
            int slash = path.lastIndexOf('/', start - 2);
            start = slash + 1;
            if (start < cursor) {
                return -1;
            }
        }
        return start;
    }

    private static int segmentEnd(String path, int pos) {
        int slash = path.indexOf('/', pos);
        return slash < 0 ? path.length() : slash;
    }

    private static boolean segmentMatches(String glob, String path, int from, int to) {
        if (glob.equals("*")) {
            return true;
        }
        if (glob.indexOf('*') < 0) {
            return glob.length() == to - from && path.startsWith(glob, from);
        }
        return wildcard(glob, path, from, to);
    }

    /**
     * A segment against a glob with {@code *} inside it, without backtracking beyond the last star: when a
     * later character fails, only the last star takes one more character. At most |glob| × |segment| steps.
     */
    private static boolean wildcard(String glob, String path, int from, int to) {
        int g = 0;
        int p = from;
        int star = -1;
        int resume = from;
        while (p < to) {
            if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                resume = p;
            } else if (g < glob.length() && glob.charAt(g) == path.charAt(p)) {
                g++;
                p++;
            } else if (star >= 0) {
                g = star + 1;
                p = ++resume;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }

    @Override
    public String toString() {
        return text;
    }
}
