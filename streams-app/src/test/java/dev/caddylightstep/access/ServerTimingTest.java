package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a response's Server-Timing headers: every well-formed entry, the rest skipped and counted, never a failure. */
class ServerTimingTest {

    private static ServerTiming parse(String... headers) {
        return ServerTiming.parse(List.of(headers));
    }

    @Test
    void everyEntryOfEveryHeaderIsReadInOrder() {
        // as Caddy 2.6.2 logged a backend's header and its own header_down entry (test resources caddy-2.6.2/stages.log)
        ServerTiming timing = parse("db;dur=20.0;desc=\"orders, by id\", cache;dur=5.0", "caddy-upstream;dur=26.525859");

        assertThat(timing.metrics()).containsExactly(
                new ServerTiming.Metric("db", 20.0),
                new ServerTiming.Metric("cache", 5.0),
                new ServerTiming.Metric("caddy-upstream", 26.525859));
        assertThat(timing.skipped()).isZero();
        assertThat(timing.caddyUpstream().durationMillis()).isEqualTo(26.525859);
        assertThat(timing.backend()).extracting(ServerTiming.Metric::name).containsExactly("db", "cache");
    }

    @Test
    void aMalformedEntryIsSkippedAndCountedAndTheOthersStay() {
        ServerTiming timing = parse("render;dur=4.5, bogus;dur=abc, miss", "x;dur=1e9, y;dur=-3, z;dur=NaN, w;dur=0x10, (bad);dur=1, ok;dur=2");

        assertThat(timing.metrics()).extracting(ServerTiming.Metric::name).containsExactly("render", "miss", "ok");
        assertThat(timing.metrics().get(1).hasDuration()).isFalse();
        assertThat(timing.skipped()).isEqualTo(6);
    }

    @Test
    void aQuotedDescriptionsCommasSemicolonsAndEscapesAreInsideIt() {
        ServerTiming timing = parse("a;desc=\"x, y; \\\"z\\\"\";dur=1, b;dur=2");

        assertThat(timing.metrics()).containsExactly(new ServerTiming.Metric("a", 1.0), new ServerTiming.Metric("b", 2.0));
    }

    @Test
    void anUnterminatedQuoteSkipsOnlyItsOwnEntry() {
        ServerTiming timing = parse("a;dur=1", "b;desc=\"never closed, c;dur=3");

        assertThat(timing.metrics()).extracting(ServerTiming.Metric::name).containsExactly("a");
        assertThat(timing.skipped()).isEqualTo(1);
    }

    @Test
    void theFirstDurationOfAnEntryCountsAndSpacesAroundSeparatorsAreAllowed() {
        ServerTiming timing = parse(" db ; dur = 12.5 ; dur=99 ,, ,cache;DUR=3");

        assertThat(timing.metrics()).containsExactly(new ServerTiming.Metric("db", 12.5), new ServerTiming.Metric("cache", 3.0));
        assertThat(timing.skipped()).isZero();
    }

    @Test
    void entriesPastTheSixtyFourthAreCountedNotKept() {
        String many = String.join(",", java.util.Collections.nCopies(1000, "q;dur=1"));

        ServerTiming timing = parse(many);

        assertThat(timing.metrics()).hasSize(ServerTiming.MAX_METRICS);
        assertThat(timing.skipped()).isEqualTo(1000 - ServerTiming.MAX_METRICS);
    }

    @Test
    void noHeaderIsNoTiming() {
        assertThat(ServerTiming.parse(List.of())).isSameAs(ServerTiming.NONE);
        assertThat(parse("", " , ")).isSameAs(ServerTiming.NONE);
    }
}
