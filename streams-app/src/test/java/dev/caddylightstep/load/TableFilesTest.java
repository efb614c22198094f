package dev.caddylightstep.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.Decision;
import dev.caddylightstep.policy.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    @Test
    void identitiesAreReadWithTheirRoles() throws IOException {
        Path file = write("identities.yaml", """
                - id: alice
                  group: engineering
                  tenant: acme
                  roles: [admin, dev]
                - id: bob
                  group: sales
                """);
        assertThat(IdentitiesFile.read(file)).containsExactly(
                new Identity("alice", "engineering", "acme", List.of("admin", "dev")),
                new Identity("bob", "sales", null, List.of()));
    }

    @Test
    void policiesAreReadAndTheirRulesCompiled() throws IOException {
        Path file = write("policies.yaml", """
                - group: sales
                  allow: ["GET /api/**", "POST /api/orders"]
                  deny: ["* /admin/**"]
                  latency_slo_ms: 500
                """);
        Policy sales = PoliciesFile.read(file).get(0);
        assertThat(sales.latencySloMs()).isEqualTo(500L);
        assertThat(sales.decide("POST", "/api/orders")).isEqualTo(Decision.ALLOW);
        assertThat(sales.decide("GET", "/admin/settings")).isEqualTo(Decision.DENY);
    }

    @Test
    void aMissingFieldIsNamedWithItsEntryAndLine() throws IOException {
        Path file = write("identities.yaml", """
                - id: alice
                  group: engineering
                - id: bob
                  tenant: acme
                """);
        assertThatThrownBy(() -> IdentitiesFile.read(file))
                .hasMessage(file + ": entry 2 (line 3), field group: missing");
    }

    @Test
    void anUnknownFieldIsNamed() throws IOException {
        Path file = write("identities.yaml", "- id: alice\n  group: engineering\n  team: platform\n");
        assertThatThrownBy(() -> IdentitiesFile.read(file)).hasMessageContaining("entry 1 (line 1), field team: unknown field");
    }

    @Test
    void aBadRuleIsNamedWithItsPosition() throws IOException {
        Path file = write("policies.yaml", "- group: sales\n  allow: [\"GET /api/**\", \"FETCH api\"]\n");
        assertThatThrownBy(() -> PoliciesFile.read(file)).hasMessageContaining("entry 1 (line 1), field allow[1]: path glob 'api' must start with /");
    }

    @Test
    void aDuplicateIdIsRefused() throws IOException {
        Path file = write("identities.yaml", "- {id: alice, group: a}\n- {id: alice, group: b}\n");
        assertThatThrownBy(() -> IdentitiesFile.read(file)).hasMessageContaining("entry 2 (line 2), field id: 'alice' is already entry 1");
    }

    @Test
    void aWrongTypeIsNamed() throws IOException {
        Path file = write("policies.yaml", "- group: sales\n  latency_slo_ms: fast\n");
        assertThatThrownBy(() -> PoliciesFile.read(file)).hasMessageContaining("field latency_slo_ms: expected a positive whole number, got 'fast'");
    }

    @Test
    void yamlThatIsNotAListIsRefused() throws IOException {
        Path file = write("policies.yaml", "group: sales\n");
        assertThatThrownBy(() -> PoliciesFile.read(file)).hasMessageContaining("expected a list of entries");
    }

    @Test
    void brokenYamlIsRefusedWithItsPosition() throws IOException {
        Path file = write("policies.yaml", "- group: [sales\n");
        assertThatThrownBy(() -> PoliciesFile.read(file)).hasMessageStartingWith(file + ": not valid YAML");
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> IdentitiesFile.read(file)).hasMessage(file + ": no such file");
    }
}
