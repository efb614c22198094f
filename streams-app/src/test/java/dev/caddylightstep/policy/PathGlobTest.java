package dev.caddylightstep.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PathGlobTest {
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
}
