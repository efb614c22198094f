package dev.caddylightstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.ChildProcess;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The command line with real credentials in its environment, as an operator's shell or a pod gives them: whatever goes
 * wrong, what it prints carries none of them, neither as given nor URL-encoded.
 */
class SecretsInErrorsTest {
    /** A token with characters that URL-encoding changes, as base64 tokens have. */
    private static final String TOKEN = "ls+tok/" + UUID.randomUUID() + "==";
    private static final String HEADER_VALUE = "hdr-" + UUID.randomUUID();
    private static final String PASTED_ALONE = "pasted-" + UUID.randomUUID();

    private static String runForwarder(Map<String, String> environment) throws InterruptedException {
        ChildProcess process = ChildProcess.start("secrets-in-errors", environment, "run", "--role", "forwarder",
                "--bootstrap-servers", "127.0.0.1:9", "--set", "default.api.timeout.ms=2000");
        assertThat(process.waitFor(Duration.ofSeconds(60))).as(process.output()).isEqualTo(2);
        return process.output();
    }

    @Test
    void aMalformedOtlpHeaderListIsNamedWithoutAHeaderValueOrTheToken() throws InterruptedException {
        String output = runForwarder(Map.of("LS_ACCESS_TOKEN", TOKEN,
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317",
                // the second entry has no name: a credential pasted on its own
                "OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=" + HEADER_VALUE + "," + PASTED_ALONE));

        assertThat(output.strip().lines()).hasSize(1);
        assertThat(output).startsWith("error: OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value");
        for (String secret : List.of(TOKEN, URLEncoder.encode(TOKEN, StandardCharsets.UTF_8), HEADER_VALUE, PASTED_ALONE)) {
            assertThat(output).doesNotContain(secret);
        }
    }
}
