package dev.caddylightstep.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A policy's path glob against any glob and any path a client sends: a glob is refused exactly when it is not one, a
 * path not starting with '/' matches none, and matching agrees with the glob's meaning, worked out two other ways. An
 * input is the glob, a newline, and the path; the corpus (PathGlobFuzzTestInputs in the test resources) holds the
 * README's rules against real paths, the globs that backtracked and random 404 paths; the path of 150,000 segments of
 * issue 21 is made by a test below.
 */
class PathGlobFuzzTest {
    /** Java's regex backtracks over the ways to share segments between several ** (polynomial, but steep): small inputs only. */
    private static final int BY_REGEX_CHARS = 24;
    /** The segment-by-segment simulation costs about glob × path characters. */
    private static final long BY_SEGMENTS_WORK = 1L << 24;

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aGlobMatchesExactlyThePathsItMeans(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        matchesAsMeant(newline < 0 ? text : text.substring(0, newline), newline < 0 ? "" : text.substring(newline + 1));
    }

    /**
     * Issue 21's path of 150,000 segments (300 KB) against the rules it was judged by: made here rather than stored, as a
     * seed would have libFuzzer make inputs of up to 300 KB all along.
     */
    @Test
    void aPathOf150000SegmentsMatchesAsMeant() {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        for (String glob : List.of("/api/**", "/**", "/api/**/a", "/api/**/b", "/api/*/a", "/**/a/**/a/**/b", "/api/a/**/a*a")) {
            matchesAsMeant(glob, path);
        }
    }

    private static void matchesAsMeant(String glob, String path) {
        PathGlob compiled;
        try {
            compiled = PathGlob.compile(glob);
        } catch (IllegalArgumentException e) {
            assertThat(isGlob(glob)).as("'%s' refused: %s", glob, e.getMessage()).isFalse();
            return;
        }
        assertThat(isGlob(glob)).as("'%s' compiled", glob).isTrue();
        boolean matches = compiled.matches(path);
        if (!path.startsWith("/")) {
            // no request path: the parser refuses an empty uri and gives "http://host" the path "/", which /** matches;
            // and the regex would let /** match "" as a path of no segments
            assertThat(matches).as("%s against %s", glob, path).isFalse();
            return;
        }
        if (glob.length() <= BY_REGEX_CHARS && path.length() <= BY_REGEX_CHARS) {
            assertThat(matches).as("%s against %s, by regex", glob, path).isEqualTo(PathGlobTest.byRegex(glob, path));
        }
        if ((long) glob.length() * (path.length() + 1) <= BY_SEGMENTS_WORK) {
            assertThat(matches).as("%s against %s, by segments", glob, path).isEqualTo(bySegments(glob, path));
        }
    }

    /** A glob starts with '/', and ** is a whole segment or none of one. */
    private static boolean isGlob(String glob) {
        if (!glob.startsWith("/")) {
            return false;
        }
        for (String segment : glob.substring(1).split("/", -1)) {
            if (segment.contains("**") && !segment.equals("**")) {
                return false;
            }
        }
        return true;
    }

    /**
     * The glob run over the path's segments as a set of states, one per glob segment reached: polynomial whatever the
     * glob, so it checks paths of any length.
     */
    private static boolean bySegments(String glob, String path) {
        String[] globs = glob.substring(1).split("/", -1);
        boolean[] reached = new boolean[globs.length + 1];
        reached[0] = true;
        skipEmptyDoubleStars(reached, globs);
        for (String segment : path.substring(1).split("/", -1)) {
            boolean[] next = new boolean[globs.length + 1];
            for (int i = 0; i < globs.length; i++) {
                if (!reached[i]) {
                    continue;
                }
                if (globs[i].equals("**")) {
                    next[i] = true;
                } else if (segmentMatches(globs[i], segment)) {
                    next[i + 1] = true;
                }
            }
            skipEmptyDoubleStars(next, globs);
            reached = next;
        }
        return reached[globs.length];
    }

    /** A ** can also match no segment at all. */
    private static void skipEmptyDoubleStars(boolean[] reached, String[] globs) {
        for (int i = 0; i < globs.length; i++) {
            if (reached[i] && globs[i].equals("**")) {
                reached[i + 1] = true;
            }
        }
    }

    /** A segment's glob, where * is any run of characters, by dynamic programming over both. */
    private static boolean segmentMatches(String glob, String segment) {
        boolean[] previous = new boolean[segment.length() + 1];
        previous[0] = true;
        for (int g = 0; g < glob.length(); g++) {
            boolean[] current = new boolean[segment.length() + 1];
            char c = glob.charAt(g);
            current[0] = c == '*' && previous[0];
            for (int s = 1; s <= segment.length(); s++) {
                current[s] = c == '*' ? previous[s] || current[s - 1] : previous[s - 1] && segment.charAt(s - 1) == c;
            }
            previous = current;
        }
        return previous[segment.length()];
    }
}
