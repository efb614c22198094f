package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * A caller's tracestate of any text: what is kept is within W3C Trace Context's limits (at most 32 members, 512
 * characters), and is exactly what a reference made of the specification's grammar as regular expressions keeps: the
 * members of the grammar, in their order; when past a limit, those over 128 characters out, then members from the end.
 * A header kept whole is the header itself. An input is the header, UTF-8. The corpus (TraceStateFuzzTestInputs in the
 * test resources) holds the tracestate Caddy 2.6.2 logged and headers at and past each limit.
 */
class TraceStateFuzzTest {
    private static final String KEY_CHAR = "[a-z0-9_*/-]";
    /** simple-key, or tenant-id "@" system-id. */
    private static final String KEY = "[a-z]" + KEY_CHAR + "{0,255}|[a-z0-9]" + KEY_CHAR + "{0,240}@[a-z]" + KEY_CHAR + "{0,13}";
    /** Printable ASCII but "," and "=", up to 256, the last no space. */
    private static final String VALUE = "[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]";
    private static final Pattern MEMBER = Pattern.compile("(?:" + KEY + ")=" + VALUE);
    private static final Pattern OWS_AROUND = Pattern.compile("^[ \\t]+|[ \\t]+$");

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anyTracestateIsKeptAsTheSpecificationSaysWithinItsLimits(byte[] input) {
        String header = new String(input, StandardCharsets.UTF_8);

        String kept = TraceState.limited(header);

        String expected = expected(header);
        assertThat(kept).isEqualTo(expected);
        if (kept != null) {
            assertThat(kept.length()).isLessThanOrEqualTo(TraceState.MAX_CHARS);
            assertThat(kept.split(",", -1)).hasSizeLessThanOrEqualTo(TraceState.MAX_MEMBERS);
            if (kept.equals(header)) {
                assertThat(kept).isSameAs(header);
            }
        }
    }

    private static String expected(String header) {
        List<String> members = new ArrayList<>();
        // a value holds no comma: the list splits at each
        for (String element : header.split(",", -1)) {
            String member = OWS_AROUND.matcher(element).replaceAll("");
            if (MEMBER.matcher(member).matches()) {
                members.add(member);
            }
        }
        if (members.size() > TraceState.MAX_MEMBERS || String.join(",", members).length() > TraceState.MAX_CHARS) {
            members.removeIf(member -> member.length() > 128);
            while (members.size() > TraceState.MAX_MEMBERS || String.join(",", members).length() > TraceState.MAX_CHARS) {
                members.remove(members.size() - 1);
            }
        }
        return members.isEmpty() ? null : String.join(",", members);
    }
}
