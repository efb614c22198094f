package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import org.junit.jupiter.api.Test;

class PipelineSmokeTest {
    @Test
    void everyCapturedLineEndsSomewhere() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.identity("alice", "engineering", "acme", "admin");
            p.policy("engineering", 500L, java.util.List.of("* /api/**"), java.util.List.of());
            var lines = CaddyCapture.lines("access.log");
            p.sendAll(lines);
            System.out.println("spans " + p.spans().size() + " dlq " + p.deadLetters().size() + " skipped " + p.metric("lines-skipped-total"));
            System.out.println(p.latestByGroup().values());
            System.out.println(p.driver().producedTopicNames());
            assertThat(p.spans()).hasSize(lines.size());
        }
    }
}
