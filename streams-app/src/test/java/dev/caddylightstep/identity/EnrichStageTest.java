package dev.caddylightstep.identity;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.PipelineHarness.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Stages identify and enrich: every request gets the identity of its user, or a stand-in, whichever way the table is joined. */
class EnrichStageTest {
    private static final String ALICE = access(request("GET", "/api/users/1", 200));

    private static PipelineHarness start(IdentityJoin join) {
        return start(join, Map.of());
    }

    private static PipelineHarness start(IdentityJoin join, Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.put("caddy.identity.join", join.name().toLowerCase(Locale.ROOT));
        return PipelineHarness.start(all);
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void aKnownUserGetsGroupTenantAndRoles(IdentityJoin join) {
        try (PipelineHarness p = start(join)) {
            p.identity("alice", "engineering", "acme", "admin", "dev");
            assertThat(attributes(p.send(ALICE).onlySpan()))
                    .containsEntry("enduser.id", "alice")
                    .containsEntry("edge.group", "engineering")
                    .containsEntry("edge.tenant", "acme")
                    .containsEntry("edge.roles", List.of("admin", "dev"));
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void aRequestWithoutAUserIsAnonymous(IdentityJoin join) {
        String anonymous = access(request("GET", "/health", 200));
        try (PipelineHarness p = start(join)) {
            assertThat(attributes(p.send(anonymous).onlySpan())).containsEntry("edge.group", "anonymous").doesNotContainKey("enduser.id");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void aUserMissingFromTheTableIsUnknown(IdentityJoin join) {
        try (PipelineHarness p = start(join)) {
            p.identity("bob", "sales", null);
            assertThat(attributes(p.send(ALICE).onlySpan())).containsEntry("edge.group", "unknown").containsEntry("enduser.id", "alice");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void theLatestIdentityOfAUserIsTheOneJoined(IdentityJoin join) {
        try (PipelineHarness p = start(join)) {
            p.identity("alice", "engineering", "acme");
            p.identity("alice", "management", "acme");
            assertThat(attributes(p.send(ALICE).onlySpan())).containsEntry("edge.group", "management");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void anIdentityChangedBetweenTwoRequestsOfTheUserEnrichesTheSecondWithTheNewOne(IdentityJoin join) {
        try (PipelineHarness p = start(join)) {
            p.identity("alice", "engineering", "acme");
            p.send(ALICE);
            p.identity("alice", "management", "acme");
            p.send(ALICE);
            assertThat(p.spans()).extracting(span -> attributes(span).get("edge.group")).containsExactly("engineering", "management");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void aUserAddedOrRemovedBetweenTwoRequestsOfTheirsIsKnownOrUnknownFromTheNext(IdentityJoin join) {
        try (PipelineHarness p = start(join)) {
            p.send(ALICE);
            p.identity("alice", "engineering", "acme");
            p.send(ALICE);
            p.withoutIdentity("alice");
            p.send(ALICE);
            assertThat(p.spans()).extracting(span -> attributes(span).get("edge.group")).containsExactly("unknown", "engineering", "unknown");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void aConfiguredHeaderCarriesTheIdentityOfForwardAuthSetups(IdentityJoin join) {
        String line = access(l -> l.path("request").path("uri").asText().equals("/public/xff"));
        try (PipelineHarness p = start(join, Map.of("caddy.identity.source", "header", "caddy.identity.header", "X-Real-IP"))) {
            p.identity("203.0.113.7", "partners", null);
            assertThat(attributes(p.send(line).onlySpan())).containsEntry("edge.group", "partners").containsEntry("enduser.id", "203.0.113.7");
        }
    }

    @ParameterizedTest
    @EnumSource(IdentityJoin.class)
    void anMtlsClientCertificateNameCanBeTheIdentity(IdentityJoin join) {
        String tlsLine = access(l -> l.path("request").has("tls") && l.path("status").asInt() == 200);
        String withCn = CaddyCapture.withRequestField(tlsLine, "tls",
                Map.of("resumed", false, "version", 772, "cipher_suite", 4865, "proto", "h2", "server_name", "localhost",
                        "client_common_name", "billing-service"));
        try (PipelineHarness p = start(join, Map.of("caddy.identity.source", "tls_client_cn"))) {
            p.identity("billing-service", "services", null);
            assertThat(attributes(p.send(withCn).onlySpan())).containsEntry("edge.group", "services");
        }
    }
}
