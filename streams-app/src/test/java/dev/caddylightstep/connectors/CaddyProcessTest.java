package dev.caddylightstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caddylightstep.broker.LoopbackPorts;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Caddy the end-to-end tests run: started means this Caddy serves its ports, not that something answers there.
 * A test in another fork may find the same free port and bind it first (a CI run got a 404 from another test's Caddy
 * this way).
 */
class CaddyProcessTest {
    private static final String CADDYFILE = CaddyProcess.withTestOptions(":{$PORT} {\n\trespond \"mine\" 200\n}\n");

    @TempDir
    Path dir;

    @Test
    void aCaddyWhosePortAnotherListenerHoldsStartsAgainOnOtherPorts() throws Exception {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        try (ServerSocket other = held()) {
            int free = LoopbackPorts.free(1).get(0);
            Deque<List<Integer>> attempts = new ArrayDeque<>(List.of(List.of(other.getLocalPort()), List.of(free)));

            try (CaddyProcess caddy = CaddyProcess.start(dir.resolve("caddy"), CADDYFILE, CaddyProcessTest::environment, attempts::poll)) {
                assertThat(caddy.ports()).containsExactly(free);
                assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + free + "/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("mine");
            }
        }
    }

    @Test
    void aCaddyThatFindsItsPortsHeldAtEveryAttemptDoesNotStart() throws Exception {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        try (ServerSocket other = held()) {
            List<Integer> taken = List.of(other.getLocalPort());

            assertThatThrownBy(() -> CaddyProcess.start(dir.resolve("caddy"), CADDYFILE, CaddyProcessTest::environment, () -> taken).close())
                    .isInstanceOf(AssertionError.class).hasMessageContaining("caddy exited").hasMessageContaining("address already in use");
        }
    }

    private static ServerSocket held() throws Exception {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress("127.0.0.1", 0));
        return socket;
    }

    private static Map<String, String> environment(List<Integer> ports) {
        return Map.of("PORT", Integer.toString(ports.get(0)));
    }
}
