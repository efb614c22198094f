package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * A caller's traceparent of any text: its trace is continued exactly when W3C Trace Context's grammar, as a regular
 * expression, and its rules for a receiver accept the header (version ff never; version 00 nothing after the flags, a
 * later version only after a dash; ids of lowercase hex, not all zeros), with the caller's trace id, parent id and
 * sampled flag; else the request starts a trace of its own line. An input is the header, UTF-8. The corpus
 * (TraceParentFuzzTestInputs in the test resources) holds the traceparent Caddy 2.6.2 logged and near misses.
 */
class TraceParentFuzzTest {
    private static final byte[] LINE = "{\"logger\":\"http.log.access.log0\"}".getBytes(StandardCharsets.UTF_8);
    private static final String DERIVED_TRACE_ID = TraceIds.resolve(LINE, 0, LINE.length, null, null, null, null).traceId();
    private static final Pattern TRACEPARENT = Pattern.compile(
            "[ \\t]*(?<version>[0-9a-f]{2})-(?<trace>[0-9a-f]{32})-(?<parent>[0-9a-f]{16})-[0-9a-f](?<flags>[0-9a-f])(?<more>-.*)?[ \\t]*",
            Pattern.DOTALL);

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTraceparentIsContinuedExactlyWhenTheSpecificationSaysAReceiverMay(byte[] input) {
        String header = new String(input, StandardCharsets.UTF_8);

        TraceContext trace = TraceIds.resolve(LINE, 0, LINE.length, null, null, header, "rojo=1");

        var valid = TRACEPARENT.matcher(header);
        boolean continued = valid.matches() && !valid.group("version").equals("ff")
                && (valid.group("more") == null || !valid.group("version").equals("00"))
                && !valid.group("trace").matches("0+") && !valid.group("parent").matches("0+");
        if (continued) {
            assertThat(trace.origin()).isEqualTo(TraceContext.Origin.TRACEPARENT);
            assertThat(trace.traceId()).isEqualTo(valid.group("trace"));
            assertThat(trace.parentSpanId()).isEqualTo(valid.group("parent"));
            assertThat(trace.sampled()).isEqualTo((Character.digit(valid.group("flags").charAt(0), 16) & 1) == 1);
            assertThat(trace.traceState()).isEqualTo("rojo=1");
        } else {
            assertThat(trace.origin()).isEqualTo(TraceContext.Origin.DERIVED);
            assertThat(trace.traceId()).isEqualTo(DERIVED_TRACE_ID);
            assertThat(trace.parentSpanId()).isNull();
            assertThat(trace.traceState()).isNull();
        }
    }
}
