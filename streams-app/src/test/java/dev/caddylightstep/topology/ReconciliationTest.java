package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines in = enriched requests + skipped non-access lines + dead letters, always. */
class ReconciliationTest {
    @Test
    void everyLineEndsInExactlyOnePlace() {
        List<String> lines = new ArrayList<>();
        for (String file : List.of("access.log", "bulk.log", "caddy-stderr.log", "netlog.ndjson", "filterbug.log")) {
            lines.addAll(CaddyCapture.lines(file));
        }
        List<String> real = List.copyOf(lines);
        for (int i = 0; i < 25; i++) {
            lines.add(real.get(i * 11).substring(0, 30 + i * 3));
        }
        lines.add("not json at all");
        lines.add("");

        long accessLines = real.stream().filter(l -> CaddyCapture.tree(l).path("logger").asText().startsWith("http.log.access")).count();
        long otherLoggers = real.size() - accessLines;
        long broken = lines.size() - real.size();

        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(lines);
            assertThat(p.spans()).hasSize((int) accessLines);
            assertThat(p.deadLetters()).hasSize((int) broken);
            assertThat(p.metric("lines-skipped-total")).isEqualTo(otherLoggers);
            assertThat(p.metric("lines-accepted-total") + p.metric("lines-skipped-total") + p.metric("lines-dead-lettered-total"))
                    .isEqualTo(lines.size());
        }
    }
}
