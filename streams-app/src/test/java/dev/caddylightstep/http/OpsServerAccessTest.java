package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Who the HTTP side answers: the bearer token of CADDY_HTTP_TOKEN for the queries and the dashboard, the probes and
 * /metrics open; and on loopback, only requests that name a loopback host. Requests are written on a socket, so that
 * the Host and Authorization headers are exactly those a browser or an attacker's page would send.
 */
class OpsServerAccessTest {
    private static final String TOKEN = "http-token-" + UUID.randomUUID();

    private static OpsServer server(Map<String, String> settings) throws IOException {
        Map<String, String> all = new HashMap<>(settings);
        all.put("caddy.http.port", "0");
        return new OpsServer(HttpSettings.from(Settings.of(all)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> true, () -> true, AggregateJson.JSON.createObjectNode()).start();
    }

    /** The status code of one GET, with these headers as given (Host included). */
    private static int status(OpsServer server, String path, String... headers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            request.append("Connection: close\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    private static String host(OpsServer server) {
        return "Host: 127.0.0.1:" + server.port();
    }

    @Test
    void withATokenTheQueriesAndTheDashboardRequireIt() throws IOException {
        try (OpsServer server = server(Map.of("caddy.http.token", TOKEN))) {
            for (String path : new String[] {"/api/windows", "/api/windows/engineering", "/api/slo", "/api/dashboard-config", "/", "/app.js"}) {
                assertThat(status(server, path, host(server))).as(path + " without a token").isEqualTo(401);
                assertThat(status(server, path, host(server), "Authorization: Bearer wrong-" + TOKEN)).as(path + " with a wrong one").isEqualTo(401);
                assertThat(status(server, path, host(server), "Authorization: Basic " + TOKEN)).as(path + " as another scheme").isEqualTo(401);
            }
            assertThat(status(server, "/api/dashboard-config", host(server), "Authorization: Bearer " + TOKEN)).isEqualTo(200);
            assertThat(status(server, "/", host(server), "Authorization: bearer " + TOKEN)).isEqualTo(200);
            // no streams role here: the query itself answers 404 once admitted
            assertThat(status(server, "/api/windows", host(server), "Authorization: Bearer " + TOKEN)).isEqualTo(404);
            assertThat(status(server, "/api/slo", host(server), "Authorization: Bearer " + TOKEN)).isEqualTo(404);
        }
    }

    @Test
    void withATokenTheProbesAndMetricsStayOpen() throws IOException {
        try (OpsServer server = server(Map.of("caddy.http.token", TOKEN))) {
            for (String path : new String[] {"/health/live", "/health/ready", "/metrics"}) {
                assertThat(status(server, path, host(server))).as(path).isEqualTo(200);
            }
        }
    }

    @Test
    void aTokenTooShortToBeSecretIsRefusedWithoutBeingShown() {
        assertThatThrownBy(() -> HttpSettings.from(Settings.load(null, Map.of("CADDY_HTTP_TOKEN", "changeme"), Map.of())))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("caddy.http.token (CADDY_HTTP_TOKEN): a token of at least 16 characters is required")
                .hasMessageNotContaining("changeme");
    }

    @Test
    void theTokenIsNeverShown() {
        HttpSettings settings = HttpSettings.from(Settings.load(null, Map.of("CADDY_HTTP_TOKEN", TOKEN), Map.of()));
        assertThat(settings.toString()).doesNotContain(TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"attacker.example", "attacker.example:8080", "192.168.1.20:8080", "localhost.attacker.example"})
    void onLoopbackARequestNamingAnotherHostIsRefused(String name) throws IOException {
        try (OpsServer server = server(Map.of())) {
            for (String path : new String[] {"/api/windows", "/api/slo", "/", "/metrics", "/health/live"}) {
                assertThat(status(server, path, "Host: " + name)).as(path + " for " + name).isEqualTo(403);
            }
        }
    }

    @Test
    void onLoopbackARequestWithoutAHostIsRefused() throws IOException {
        try (OpsServer server = server(Map.of())) {
            assertThat(status(server, "/api/dashboard-config")).isEqualTo(403);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LOCALHOST:%d", "localhost:%d", "127.0.0.1", "127.0.0.1:%d", "[::1]:%d"})
    void onLoopbackTheLoopbackNamesAreAnswered(String name) throws IOException {
        try (OpsServer server = server(Map.of())) {
            assertThat(status(server, "/api/dashboard-config", "Host: " + name.formatted(server.port()))).isEqualTo(200);
        }
    }

    /** In a pod, the kubelet and the other instances name the pod's address. */
    @Test
    void onEveryAddressAnyHostIsAnswered() throws IOException {
        try (OpsServer server = server(Map.of("caddy.http.host", "0.0.0.0"))) {
            assertThat(status(server, "/api/dashboard-config", "Host: 10.1.2.3:8080")).isEqualTo(200);
            assertThat(status(server, "/health/ready", "Host: 10.1.2.3:8080")).isEqualTo(200);
        }
    }
}
