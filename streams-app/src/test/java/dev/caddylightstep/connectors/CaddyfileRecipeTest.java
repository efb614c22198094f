package dev.caddylightstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The redaction recipes of connectors/caddy/, run by a real Caddy. */
class CaddyfileRecipeTest {
    private static final String SECRET_COOKIE = "session=abc123; theme=dark";
    private static final String BASIC_AUTH = "Basic YWxpY2U6d29uZGVybGFuZA==";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsCaddy() {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
    }

    @Test
    void theRedactFilterRedactsTheLogButNotTheRequest() throws Exception {
        try (Upstream upstream = Upstream.start()) {
            JsonNode logged = requestThrough("caddy/redact-filter.Caddyfile", upstream);
            Upstream.Received got = upstream.received().get(0);

            JsonNode headers = logged.path("request").path("headers");
            assertThat(headers.path("Cookie").get(0).asText()).isEqualTo("session=REDACTED; theme=dark");
            assertThat(headers.has("Authorization")).isFalse();
            assertThat(headers.has("X-Api-Key")).isFalse();
            assertThat(logged.path("request").path("uri").asText()).contains("token=REDACTED").contains("page=2").doesNotContain("t0ps3cret");
            assertThat(logged.path("request").path("remote_ip").asText()).isEqualTo("127.0.0.0");
            assertThat(got.header("Cookie")).isEqualTo(SECRET_COOKIE);
            assertThat(got.header("Authorization")).isEqualTo(BASIC_AUTH);
            assertThat(got.header("X-Api-Key")).isEqualTo("k-123");
            assertThat(got.uri().getQuery()).contains("token=t0ps3cret");
        }
    }

    @Test
    void onCaddy262TheHashFilterHandsTheHashToTheUpstream() throws Exception {
        assumeTrue(CaddyProcess.version().replaceFirst("^v", "").startsWith("2.6."), "the pitfall is fixed from Caddy 2.7.5");
        try (Upstream upstream = Upstream.start()) {
            JsonNode logged = requestThrough("caddy/hash-filter-pitfall.Caddyfile", upstream);
            String hashed = logged.path("request").path("headers").path("Authorization").get(0).asText();

            assertThat(hashed).isNotEqualTo(BASIC_AUTH);
            assertThat(upstream.received().get(0).header("Authorization")).isEqualTo(hashed);
        }
    }

    /** Runs the recipe, sends one request with credentials and a secret query value, returns the logged line. */
    private JsonNode requestThrough(String recipe, Upstream upstream) throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        try (CaddyProcess caddy = CaddyProcess.start(dir.resolve("caddy"), CaddyProcess.withTestOptions(RecipeFiles.read(recipe)), 1,
                ports -> Map.of("CADDY_SITE", "http://127.0.0.1:" + ports.get(0), "CADDY_LOG_DIR", logs.toString(),
                        "CADDY_UPSTREAM", upstream.address()))) {
            int port = caddy.ports().get(0);
            HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders?token=t0ps3cret&page=2"))
                            .header("Cookie", SECRET_COOKIE).header("Authorization", BASIC_AUTH).header("X-Api-Key", "k-123").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
        }
        List<String> lines = Files.readAllLines(logs.resolve("access.log"));
        assertThat(lines).hasSize(1);
        return CaddyCapture.tree(lines.get(0));
    }
}
