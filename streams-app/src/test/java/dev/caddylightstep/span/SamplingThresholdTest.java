package dev.caddylightstep.span;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** OpenTelemetry's consistent probability sampling: thresholds, their tracestate form, and the decision on a trace id. */
class SamplingThresholdTest {
    @Test
    void aProbabilityIsTheShareOfRandomnessAboveTheThreshold() {
        assertThat(SamplingThreshold.ofProbability(1).encoded()).isEqualTo("0");
        assertThat(SamplingThreshold.ofProbability(0.5).encoded()).isEqualTo("8");
        assertThat(SamplingThreshold.ofProbability(0.25).encoded()).isEqualTo("c");
        // 0.9 of 2^56, to four hex digits as OpenTelemetry's samplers write it
        assertThat(SamplingThreshold.ofProbability(0.1).encoded()).isEqualTo("e666");
        // too small for four digits: all fourteen, one trace in a million
        SamplingThreshold millionth = SamplingThreshold.ofProbability(1e-6);
        assertThat(millionth.encoded()).hasSize(14);
        assertThat(1 - millionth.value() / Math.pow(2, 56)).isCloseTo(1e-6, org.assertj.core.api.Assertions.within(1e-12));
    }

    @Test
    void theDecisionIsTakenOnTheTraceIdsLower56Bits() {
        SamplingThreshold half = SamplingThreshold.ofProbability(0.5);
        assertThat(half.keeps("ffffffffffffffff" + "0080000000000000", null)).isTrue();
        assertThat(half.keeps("0000000000000000" + "ff7fffffffffffff", null)).isFalse();
        assertThat(SamplingThreshold.ALWAYS.keeps("00000000000000000000000000000001", null)).isTrue();
        assertThat(SamplingThreshold.ofProbability(0).keeps("ffffffffffffffffffffffffffffffff", null)).isFalse();
    }

    /**
     * An explicit randomness value in the tracestate decides over the trace id, as it does for every OpenTelemetry sampler
     * of the trace: a caller whose trace ids are not random says so, and the services agree on which traces they keep.
     */
    @Test
    void anExplicitRandomnessInTheTracestateDecidesOverTheTraceId() {
        SamplingThreshold half = SamplingThreshold.ofProbability(0.5);
        String keptById = "ffffffffffffffff" + "00ffffffffffffff";
        String droppedById = "ffffffffffffffff" + "0000000000000001";
        assertThat(half.keeps(keptById, "ot=rv:00000000000000")).isFalse();
        assertThat(half.keeps(droppedById, "rojo=1,ot=th:c;rv:80000000000000")).isTrue();
        assertThat(half.keeps(droppedById, "ot=rv:7fffffffffffff,rojo=1")).isFalse();
        assertThat(half.keeps(droppedById, "ot=rv:FFFFFFFFFFFFFF")).isTrue();
        // an rv of another form, or one that is no ot entry's, leaves the trace id to decide
        assertThat(half.keeps(droppedById, "ot=rv:ffffffffffffff0")).isFalse();
        assertThat(half.keeps(droppedById, "ot=rv:fffffffffffff")).isFalse();
        assertThat(half.keeps(droppedById, "ot=rv:+fffffffffffff")).isFalse();
        assertThat(half.keeps(droppedById, "ot=th:0,rojo=rv:ffffffffffffff")).isFalse();
        assertThat(half.keeps(keptById, "ot=rv:zzzzzzzzzzzzzz")).isTrue();
    }

    /** A lower probability keeps a subset of what a higher one keeps: every service sampling a trace agrees with the others. */
    @Test
    void aTraceKeptAtAProbabilityIsKeptAtEveryHigherOne() {
        java.util.Random random = new java.util.Random(24);
        for (int i = 0; i < 10_000; i++) {
            String traceId = String.format("%016x%016x", random.nextLong(), random.nextLong());
            if (SamplingThreshold.ofProbability(0.1).keeps(traceId, null)) {
                assertThat(SamplingThreshold.ofProbability(0.3).keeps(traceId, null)).isTrue();
            }
        }
    }

    @Test
    void theThresholdGoesFirstInTheOtEntryAndEveryOtherEntryIsKept() {
        SamplingThreshold half = SamplingThreshold.ofProbability(0.5);
        assertThat(half.inTraceState(null)).isEqualTo("ot=th:8");
        assertThat(half.inTraceState("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")).isEqualTo("ot=th:8,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        assertThat(half.inTraceState("rojo=1,ot=th:c;rv:9b8233f7e3a151")).isEqualTo("ot=th:8;rv:9b8233f7e3a151,rojo=1");
    }
}
