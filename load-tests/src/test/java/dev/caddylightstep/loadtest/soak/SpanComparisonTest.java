package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpanComparisonTest {

    @Test
    void aSpanNeverReceivedIsMissingAndARepeatIsADuplicate() {
        long[] expected = {0x11, 0x22, 0x33, 0x44};
        long[] loggedAt = {1_000, 2_000, 3_000, 4_000};
        // 0x11 twice (an export acknowledged too late and sent again), 0x33 never, 0x99 a request's upstream child
        long[] received = {0x44, 0x11, 0x99, 0x22, 0x11};
        long[] onTopic = {0x11, 0x22, 0x33, 0x44, 0x99};

        SpanComparison spans = SpanComparison.of(expected, loggedAt, received, onTopic);

        assertThat(spans.missing()).isEqualTo(1);
        assertThat(spans.missingSample()).containsExactly("0000000000000033");
        assertThat(spans.missingFirstMs()).isEqualTo(3_000);
        assertThat(spans.missingLastMs()).isEqualTo(3_000);
        assertThat(spans.onTopicOfMissing()).isEqualTo(1);
        assertThat(spans.duplicates()).isEqualTo(1);
        assertThat(spans.duplicatesOnTopic()).isZero();
        assertThat(spans.others()).isEqualTo(1);
    }

    /** A span written twice to the topic (exactly-once broken) is told apart from one the forwarder sent again. */
    @Test
    void aSpanTwiceOnTheTopicIsADuplicateOnTheTopic() {
        long[] ids = {5, 3, 9};

        SpanComparison spans = SpanComparison.of(ids, new long[] {1, 2, 3}, new long[] {9, 5, 3, 3}, new long[] {3, 5, 9, 3});

        assertThat(spans.duplicates()).isEqualTo(1);
        assertThat(spans.duplicatesOnTopic()).isEqualTo(1);
    }

    @Test
    void everySpanReceivedOnceIsNeitherMissingNorDuplicated() {
        long[] ids = {5, 3, 9};

        SpanComparison spans = SpanComparison.of(ids, new long[] {1, 2, 3}, new long[] {9, 5, 3}, ids);

        assertThat(spans.missing()).isZero();
        assertThat(spans.duplicates()).isZero();
        assertThat(spans.missingFirstMs()).isZero();
    }
}
