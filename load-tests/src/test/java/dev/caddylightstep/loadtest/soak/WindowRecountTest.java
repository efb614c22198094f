package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.loadtest.CaddyLogGenerator;
import dev.caddylightstep.loadtest.GeneratedCounts;
import dev.caddylightstep.loadtest.GeneratorSettings;
import dev.caddylightstep.loadtest.InMemoryStages;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WindowRecountTest {
    private static final long MINUTE = 60_000;

    @Test
    void theRecountHoldsEveryRequestTheGeneratorWroteOnce() {
        CaddyLogGenerator generator = new CaddyLogGenerator(GeneratorSettings.defaults().withSeed(7).withLinesPerSecond(100));
        InMemoryStages stages = new InMemoryStages();
        WindowRecount recount = new WindowRecount(MINUTE);
        for (int i = 0; i < 20_000; i++) {
            var request = stages.enrich(generator.nextLine());
            if (request != null) {
                recount.add(request);
            }
        }

        // the generator's own tally of what it wrote, by status
        GeneratedCounts written = generator.counts();
        long errors = written.accessByStatus().entrySet().stream().filter(e -> e.getKey() >= 500).mapToLong(Map.Entry::getValue).sum();
        long denied = written.accessByStatus().getOrDefault(401, 0L) + written.accessByStatus().getOrDefault(403, 0L);
        WindowCounts total = recount.windows().values().stream().reduce(WindowCounts.NONE, WindowCounts::plus);
        assertThat(total.count()).isEqualTo(written.accessLines());
        assertThat(total.errors()).isEqualTo(errors);
        assertThat(total.denied()).isEqualTo(denied);
        assertThat(total.misfires()).isEqualTo(total.overPermissive() + total.overRestrictive());
        // 20,000 lines at 100 a second: 200 s, in four one-minute windows of each group that made requests
        assertThat(recount.windows().keySet()).allMatch(id -> id.startMs() % MINUTE == 0);
        assertThat(recount.windows().keySet().stream().map(WindowId::startMs).distinct()).hasSizeBetween(4, 5);
    }

    @Test
    void aWindowCountedTwiceOrNeverCommittedIsADifference() {
        WindowCounts one = new WindowCounts(10, 1, 2, 1, 1, 0, 0, 5_000);
        Map<WindowId, WindowCounts> recounted = Map.of(new WindowId("sales", 0), one, new WindowId("support", 0), one);
        Map<WindowId, WindowCounts> committed = new HashMap<>();
        committed.put(new WindowId("sales", 0), one.plus(one));

        assertThat(WindowRecount.differences(recounted, committed)).containsExactly(
                "sales @0: recounted " + one + ", committed " + one.plus(one),
                "support @0: recounted " + one + ", committed nothing");
        assertThat(WindowRecount.differences(recounted, recounted)).isEmpty();
    }
}
