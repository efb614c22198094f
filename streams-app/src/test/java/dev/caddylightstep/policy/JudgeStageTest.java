package dev.caddylightstep.policy;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stage judge: the group's policy against what the edge did. */
class JudgeStageTest {
    // alice GET /api/users/1 -> 200 in 1.1245 s (her first request pays bcrypt)
    private static final String ALICE_READS = access(request("GET", "/api/users/1", 200));
    // alice DELETE /api/orders/1 -> 200
    private static final String ALICE_DELETES = access(request("DELETE", "/api/orders/1", 200));
    // carol GET /admin/settings -> 401: carol is not in /admin's basicauth list, and a refused basic auth
    // leaves user_id empty, so the request is anonymous
    private static final String ADMIN_REFUSED = CaddyCapture.access(l -> request("GET", "/admin/settings", 401).test(l));

    private static PipelineHarness withAliceAndCarol() {
        PipelineHarness p = PipelineHarness.start();
        p.identity("alice", "engineering", "acme");
        p.identity("carol", "support", "acme");
        return p;
    }

    @Test
    void anAllowedRequestThatPassedIsNoMisfire() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", null, List.of("GET /api/**"), List.of());
            assertThat(attributes(p.send(ALICE_READS).onlySpan()))
                    .containsEntry("edge.policy.decision", "allow").containsEntry("edge.policy.observed", "allow")
                    .doesNotContainKey("edge.policy.misfire");
        }
    }

    @Test
    void aPolicyChangedOrRemovedBetweenTwoRequestsOfItsGroupJudgesTheNextByWhatTheTableThenHolds() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", null, List.of("GET /api/**"), List.of());
            p.send(ALICE_READS);
            p.policy("engineering", null, List.of(), List.of("GET /api/**"));
            p.send(ALICE_READS);
            p.withoutPolicy("engineering");
            p.send(ALICE_READS);
            assertThat(p.spans()).extracting(span -> attributes(span).get("edge.policy.decision")).containsExactly("allow", "deny", null);
        }
    }

    @Test
    void aDenyRuleWinsOverAnAllowRule() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", null, List.of("* /api/**"), List.of("DELETE /api/orders/*"));
            assertThat(attributes(p.send(ALICE_DELETES).onlySpan()))
                    .containsEntry("edge.policy.decision", "deny").containsEntry("edge.policy.misfire", "over_permissive");
        }
    }

    @Test
    void aRequestNoRuleNamesIsDeniedByDefault() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", null, List.of("GET /public/**"), List.of());
            assertThat(attributes(p.send(ALICE_READS).onlySpan()))
                    .containsEntry("edge.policy.decision", "deny").containsEntry("edge.policy.misfire", "over_permissive");
        }
    }

    @Test
    void anAllowedRequestTheEdgeDeniedIsOverRestrictive() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("anonymous", null, List.of("GET /admin/*"), List.of());
            assertThat(attributes(p.send(ADMIN_REFUSED).onlySpan()))
                    .containsEntry("edge.policy.decision", "allow").containsEntry("edge.policy.observed", "deny")
                    .containsEntry("edge.policy.misfire", "over_restrictive");
        }
    }

    @Test
    void aDeniedRequestTheEdgeDeniedIsNoMisfire() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("anonymous", null, List.of("GET /api/**"), List.of());
            assertThat(attributes(p.send(ADMIN_REFUSED).onlySpan()))
                    .containsEntry("edge.policy.decision", "deny").doesNotContainKey("edge.policy.misfire");
        }
    }

    @Test
    void aGroupWithoutPolicyHasNoDecisionAndNoMisfire() {
        try (PipelineHarness p = withAliceAndCarol()) {
            assertThat(attributes(p.send(ALICE_DELETES).onlySpan()))
                    .doesNotContainKeys("edge.policy.decision", "edge.policy.misfire", "edge.slo.breached")
                    .containsEntry("edge.policy.observed", "allow");
        }
    }

    @Test
    void aRequestSlowerThanTheObjectiveBreachesIt() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", 1000L, List.of("GET /api/**"), List.of());
            assertThat(attributes(p.send(ALICE_READS).onlySpan())).containsEntry("edge.slo.breached", true).containsEntry("edge.slo.ms", 1000L);
        }
    }

    @Test
    void aRequestWithinTheObjectiveDoesNotBreachIt() {
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("engineering", 2000L, List.of("GET /api/**"), List.of());
            assertThat(attributes(p.send(ALICE_READS).onlySpan())).containsEntry("edge.slo.breached", false);
        }
    }

    @Test
    void anonymousRequestsAreJudgedByTheAnonymousPolicy() {
        String anonymousApi = CaddyCapture.access(l -> request("GET", "/api/users/1", 401).test(l)
                && !l.path("request").path("headers").has("Authorization"));
        try (PipelineHarness p = PipelineHarness.start()) {
            p.policy("anonymous", null, List.of("GET /public/**"), List.of());
            assertThat(attributes(p.send(anonymousApi).onlySpan()))
                    .containsEntry("edge.policy.decision", "deny").doesNotContainKey("edge.policy.misfire");
        }
    }

    /**
     * An anonymous GET /api/ followed by 150,000 segments (300 KB, well under the line limit) against a {@code * /api/**}
     * deny rule: a matcher that recursed once per segment overflowed the stack, and the thread that replaced the failed
     * one read the same request again, forever. The request is judged and gets its span.
     */
    @Test
    void aPathOf150000SegmentsIsJudgedByItsDenyRule() {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        String line = CaddyCapture.withRequestField(ADMIN_REFUSED, "uri", path);
        try (PipelineHarness p = withAliceAndCarol()) {
            p.policy("anonymous", null, List.of("GET /**"), List.of("* /api/**"));
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("edge.policy.decision", "deny").containsEntry("url.path", path);
            assertThat(p.deadLetters()).isEmpty();
        }
    }
}
