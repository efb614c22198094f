package dev.caddylightstep.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PathGlobTest {
    /** An anonymous client's path: /api/ and 150,000 one-letter segments, 300 KB, well under the line limit. */
    private static String longPath() {
        return "/api/" + "a/".repeat(149_999) + "a";
    }
    @Test
    void aStarMatchesExactlyOneSegment() {
        PathGlob glob = PathGlob.compile("/api/orders/*");
        assertThat(glob.matches("/api/orders/7")).isTrue();
        assertThat(glob.matches("/api/orders/7/items")).isFalse();
        assertThat(glob.matches("/api/orders")).isFalse();
    }

    @Test
    void aDoubleStarMatchesAnyNumberOfSegmentsAlsoNone() {
        PathGlob glob = PathGlob.compile("/api/**");
        assertThat(glob.matches("/api")).isTrue();
        assertThat(glob.matches("/api/")).isTrue();
        assertThat(glob.matches("/api/orders/7/items")).isTrue();
        assertThat(glob.matches("/apix")).isFalse();
    }

    @Test
    void aDoubleStarInTheMiddleSpansSegments() {
        PathGlob glob = PathGlob.compile("/api/**/items");
        assertThat(glob.matches("/api/items")).isTrue();
        assertThat(glob.matches("/api/orders/7/items")).isTrue();
        assertThat(glob.matches("/api/orders/7/items/3")).isFalse();
    }

    @Test
    void aStarInsideASegmentMatchesWithinIt() {
        PathGlob glob = PathGlob.compile("/static/*.css");
        assertThat(glob.matches("/static/site.css")).isTrue();
        assertThat(glob.matches("/static/site.js")).isFalse();
        assertThat(glob.matches("/static/a/site.css")).isFalse();
    }

    @Test
    void literalSegmentsMatchExactly() {
        assertThat(PathGlob.compile("/health").matches("/health")).isTrue();
        assertThat(PathGlob.compile("/health").matches("/healthz")).isFalse();
    }

    @Test
    void aGlobMustStartWithASlash() {
        assertThatThrownBy(() -> PathGlob.compile("api/**")).hasMessageContaining("must start with /");
    }

    @Test
    void aRuleNeedsAMethodAndAGlob() {
        assertThat(AccessRule.parse("get /api/**").matches("GET", "/api/x")).isTrue();
        assertThat(AccessRule.parse("* /api/**").matches("DELETE", "/api/x")).isTrue();
        assertThatThrownBy(() -> AccessRule.parse("/api/**")).hasMessageContaining("METHOD /glob");
        assertThatThrownBy(() -> AccessRule.parse("G3T /api")).hasMessageContaining("not an HTTP method");
    }

    @Test
    void aPathOf150000SegmentsIsMatchedWithoutRecursion() {
        String path = longPath();
        assertThat(PathGlob.compile("/api/**").matches(path)).isTrue();
        assertThat(PathGlob.compile("/api/**/a").matches(path)).isTrue();
        assertThat(PathGlob.compile("/api/**/b").matches(path)).isFalse();
        assertThat(PathGlob.compile("/api/*/a").matches(path)).isFalse();
    }

    /**
     * Several ** in one rule against a path that nearly matches everywhere: a matcher that backtracks over every way to
     * split the path between them takes exponential time here (hours at 60 segments); one that places each block at its
     * leftmost match takes microseconds. The timeout only stops a hang, it measures nothing.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void manyDoubleStarsMatchWithoutBacktracking() {
        String path = "/" + "a/".repeat(59) + "a";
        assertThat(PathGlob.compile("/**/a/**/a/**/a/**/a/**/a/**/a/**/b").matches(path)).isFalse();
        assertThat(PathGlob.compile("/**/a*a*a*a*a*a*a*a*b/**").matches("/" + "a".repeat(5_000))).isFalse();
        assertThat(PathGlob.compile("/**/a/**/a/**/a/**/a/**/a/**/a/**/a").matches(path)).isTrue();
    }

    /** The glob as a regular expression: its meaning written the other way, to check the matcher against on small paths. */
    static boolean byRegex(String glob, String path) {
        StringBuilder regex = new StringBuilder("^");
        String[] segments = glob.substring(1).split("/", -1);
        for (String segment : segments) {
            if (segment.equals("**")) {
                regex.append("(/[^/]*)*");
            } else {
                regex.append('/');
                for (String literal : segment.split("\\*", -1)) {
                    regex.append(Pattern.quote(literal)).append("[^/]*");
                }
                regex.setLength(regex.length() - "[^/]*".length());
            }
        }
        return Pattern.compile(regex.append('$').toString()).matcher(path).matches();
    }

    @Provide
    Arbitrary<String> globs() {
        Arbitrary<String> segment = Arbitraries.of("a", "b", "ab", "*", "**", "a*", "*b", "a*b", "", "*a*");
        return segment.list().ofMinSize(1).ofMaxSize(6).map(list -> "/" + String.join("/", list));
    }

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> segment = Arbitraries.of("a", "b", "ab", "ba", "aab", "", "c");
        return segment.list().ofMinSize(1).ofMaxSize(8).map(list -> "/" + String.join("/", list));
    }

    @Property(tries = 5_000)
    void matchesExactlyWhatTheGlobMeans(@ForAll("globs") String glob, @ForAll("paths") String path) {
        assertThat(PathGlob.compile(glob).matches(path)).as("%s against %s", glob, path).isEqualTo(byRegex(glob, path));
    }
}
