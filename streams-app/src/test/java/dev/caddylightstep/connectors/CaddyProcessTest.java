package dev.caddylightstep.connectors;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Caddy the end-to-end tests run: started means this Caddy serves its ports, not that something answers there. */
class CaddyProcessTest {
    @TempDir
    Path dir;

    /**
     * A test in another fork may find the same free port and bind it first (a CI run got a 404 from another test's Caddy
     * this way): the Caddy that cannot bind exits, and its start fails rather than hand over a port that answers.
     */
    @Test
    void aCaddyWhosePortAnotherListenerHoldsDoesNotStart() throws Exception {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = other.getLocalPort();
            String caddyfile = CaddyProcess.withTestOptions(":" + port + " {\n\trespond \"mine\" 200\n}\n");

            assertThatThrownBy(() -> CaddyProcess.start(dir.resolve("caddy"), caddyfile, Map.of(), List.of(port)).close())
                    .isInstanceOf(AssertionError.class).hasMessageContaining("caddy exited");
        }
    }
}
