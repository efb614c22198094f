package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A caller's tracestate as W3C Trace Context limits it: its grammar, 32 members and 512 characters. */
class TraceStateTest {

    @Test
    void membersWithinTheLimitsAreKeptInTheirOrder() {
        assertThat(TraceState.limited("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).isEqualTo("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assertThat(TraceState.limited(" rojo=00f067aa0ba902b7 ,\tcongo=t61rcWkgMzE ,, ")).isEqualTo("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assertThat(TraceState.limited("fw529a3039@dt=d1,1tenant@sys_1=x y,ot=th:e666;rv:01")).isEqualTo("fw529a3039@dt=d1,1tenant@sys_1=x y,ot=th:e666;rv:01");
    }

    @Test
    void membersOutsideItsGrammarAreLeftOut() {
        String invalid = String.join(",", "Rojo=1", "rojo", "=1", "rojo=", "1simple=1", "t@s@x=1", "tenant@=1", "@sys=1",
                "rojo=1 x=2", "rojo=é", "rojo=a\u0001", "k" + "e".repeat(256) + "=1", "rojo=" + "v".repeat(257));
        assertThat(TraceState.limited(invalid + ",congo=t61rcWkgMzE")).isEqualTo("congo=t61rcWkgMzE");
        assertThat(TraceState.limited(invalid)).isNull();
        assertThat(TraceState.limited("")).isNull();
    }

    @Test
    void pastThirtyTwoMembersTheLastAreLeftOut() {
        List<String> members = IntStream.range(0, 40).mapToObj(i -> "k" + i + "=v").toList();
        assertThat(TraceState.limited(String.join(",", members))).isEqualTo(String.join(",", members.subList(0, 32)));
    }

    @Test
    void pastFiveHundredTwelveCharactersMembersOverOneHundredTwentyEightGoFirstThenTheLast() {
        String longOne = "long=" + "x".repeat(150);
        List<String> members = IntStream.range(0, 20).mapToObj(i -> String.format("k%02d=%s", i, "v".repeat(26))).toList();
        // 20 members of 30 characters and their commas are 619: 16 of them (495) and no more fit
        String header = String.join(",", members.subList(0, 2)) + "," + longOne + "," + String.join(",", members.subList(2, 20));
        assertThat(TraceState.limited(header)).isEqualTo(String.join(",", members.subList(0, 16)));
        // within the limits, a long member stays
        assertThat(TraceState.limited(longOne + ",k=v")).isEqualTo(longOne + ",k=v");
    }

    @Test
    void aHeaderOfAnyLengthGivesAtMostTheLimits() {
        String many = IntStream.range(0, 200_000).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining(","));
        String limited = TraceState.limited(many);
        assertThat(limited).startsWith("k0=v,k1=v,").hasSizeLessThanOrEqualTo(TraceState.MAX_CHARS);
        assertThat(limited.split(",")).hasSize(TraceState.MAX_MEMBERS);
        assertThat(TraceState.limited("rojo=" + "x".repeat(1 << 20))).isNull();
        assertThat(TraceState.limited(",".repeat(1 << 20) + "rojo=1")).isEqualTo("rojo=1");
    }
}
