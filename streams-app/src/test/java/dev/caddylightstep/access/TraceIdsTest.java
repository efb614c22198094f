package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A request's trace: the caller's W3C traceparent read as the specification tells a receiver to, else ids of the line. */
class TraceIdsTest {
    private static final byte[] LINE = "{\"logger\":\"http.log.access.log0\"}".getBytes(StandardCharsets.UTF_8);
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_ID = "00f067aa0ba902b7";

    private static TraceContext withTraceparent(String traceparent) {
        return TraceIds.resolve(LINE, 0, LINE.length, null, null, traceparent, "rojo=1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"00-" + TRACE_ID + "-" + PARENT_ID + "-01", "00-" + TRACE_ID + "-" + PARENT_ID + "-03",
            " 00-" + TRACE_ID + "-" + PARENT_ID + "-01 ", "01-" + TRACE_ID + "-" + PARENT_ID + "-01-what-comes-later"})
    void aSampledTraceparentIsContinued(String traceparent) {
        TraceContext trace = withTraceparent(traceparent);

        assertThat(trace.origin()).isEqualTo(TraceContext.Origin.TRACEPARENT);
        assertThat(trace.traceId()).isEqualTo(TRACE_ID);
        assertThat(trace.parentSpanId()).isEqualTo(PARENT_ID);
        assertThat(trace.traceState()).isEqualTo("rojo=1");
        assertThat(trace.sampled()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"00", "02", "fe"})
    void flagsWithoutTheirLowestBitAreNotSampled(String flags) {
        assertThat(withTraceparent("00-" + TRACE_ID + "-" + PARENT_ID + "-" + flags).sampled()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ff-" + TRACE_ID + "-" + PARENT_ID + "-01", "00-" + TRACE_ID + "-" + PARENT_ID + "-01-more",
            "0g-" + TRACE_ID + "-" + PARENT_ID + "-01", "00-" + TRACE_ID + "-" + PARENT_ID + "-0g", "00-" + TRACE_ID + "-" + PARENT_ID + "-g1",
            "00-00000000000000000000000000000000-" + PARENT_ID + "-01", "00-" + TRACE_ID + "-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + PARENT_ID + "-01", "01-" + TRACE_ID + "-" + PARENT_ID + "-01x",
            "00-" + TRACE_ID + "-" + PARENT_ID, "", "\u0000\u000000-" + TRACE_ID + "-" + PARENT_ID + "-01\n"})
    void anInvalidTraceparentStartsATraceOfTheLine(String traceparent) {
        TraceContext trace = withTraceparent(traceparent);

        assertThat(trace.origin()).isEqualTo(TraceContext.Origin.DERIVED);
        assertThat(trace.parentSpanId()).isNull();
        assertThat(trace.traceState()).isNull();
        assertThat(trace.traceId()).isEqualTo(withTraceparent(null).traceId());
    }

    @Test
    void idsOfTheLineAreTheSameForTheSameLineAndApartForAnother() {
        TraceContext trace = withTraceparent(null);
        byte[] other = "{\"logger\":\"http.log.access.log1\"}".getBytes(StandardCharsets.UTF_8);
        TraceContext another = TraceIds.resolve(other, 0, other.length, null, null, null, null);

        assertThat(trace).isEqualTo(withTraceparent(null));
        assertThat(trace.traceId()).matches("[0-9a-f]{32}").doesNotContain(trace.spanId());
        assertThat(trace.spanId()).matches("[0-9a-f]{16}");
        assertThat(another.traceId()).isNotEqualTo(trace.traceId());
        assertThat(another.spanId()).isNotEqualTo(trace.spanId());
    }
}
