package dev.caddylightstep.identity;

import static dev.caddylightstep.testing.CaddyCapture.access;
import static dev.caddylightstep.testing.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stages identify and enrich: every request gets the identity of its user, or a stand-in. */
class EnrichStageTest {
    private static final String ALICE = access(request("GET", "/api/users/1", 200));

    @Test
    void aKnownUserGetsGroupTenantAndRoles() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.identity("alice", "engineering", "acme", "admin", "dev");
            assertThat(attributes(p.send(ALICE).onlySpan()))
                    .containsEntry("enduser.id", "alice")
                    .containsEntry("edge.group", "engineering")
                    .containsEntry("edge.tenant", "acme")
                    .containsEntry("edge.roles", List.of("admin", "dev"));
        }
    }

    @Test
    void aRequestWithoutAUserIsAnonymous() {
        String anonymous = access(request("GET", "/health", 200));
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(attributes(p.send(anonymous).onlySpan())).containsEntry("edge.group", "anonymous").doesNotContainKey("enduser.id");
        }
    }

    @Test
    void aUserMissingFromTheTableIsUnknown() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.identity("bob", "sales", null);
            assertThat(attributes(p.send(ALICE).onlySpan())).containsEntry("edge.group", "unknown").containsEntry("enduser.id", "alice");
        }
    }

    @Test
    void theLatestIdentityOfAUserIsTheOneJoined() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.identity("alice", "engineering", "acme");
            p.identity("alice", "management", "acme");
            assertThat(attributes(p.send(ALICE).onlySpan())).containsEntry("edge.group", "management");
        }
    }

    @Test
    void aConfiguredHeaderCarriesTheIdentityOfForwardAuthSetups() {
        String line = access(l -> l.path("request").path("uri").asText().equals("/public/xff"));
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.identity.source", "header", "caddy.identity.header", "X-Real-IP"))) {
            p.identity("203.0.113.7", "partners", null);
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("edge.group", "partners").containsEntry("enduser.id", "203.0.113.7");
        }
    }

    @Test
    void anMtlsClientCertificateNameCanBeTheIdentity() {
        String tlsLine = access(l -> l.path("request").has("tls") && l.path("status").asInt() == 200);
        String withCn = CaddyCapture.withRequestField(tlsLine, "tls",
                Map.of("resumed", false, "version", 772, "cipher_suite", 4865, "proto", "h2", "server_name", "localhost",
                        "client_common_name", "billing-service"));
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.identity.source", "tls_client_cn"))) {
            p.identity("billing-service", "services", null);
            assertThat(attributes(p.send(withCn).onlySpan())).containsEntry("edge.group", "services");
        }
    }
}
