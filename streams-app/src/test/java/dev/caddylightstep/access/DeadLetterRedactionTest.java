package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A dead letter copies its line with the redaction its span would have had: credential and configured headers removed,
 * sensitive query values replaced, every other byte as it was.
 */
class DeadLetterRedactionTest {
    private static final Redaction REDACTION = new Redaction(Set.of("X-Api-Key"), Set.of());

    /** A real line with log_credentials' Authorization and Cookie, a configured header and a token in its query. */
    private static String withSecrets() {
        String line = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        return line.replace("\"uri\":\"/health\"", "\"uri\":\"/health?page=2&token=s3cr3t&q=a%26b\"")
                .replace("\"headers\":{", "\"headers\":{\"Authorization\":[\"Basic YWxpY2U6cHc=\"],\"X-Api-Key\":[\"k-123\"],");
    }

    private static String redacted(String line) {
        return new String(REDACTION.redactLine(line.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Test
    void credentialHeadersGoAndSensitiveQueryValuesAreReplacedAndEveryOtherByteStays() {
        String line = withSecrets();
        String expected = line.replace("\"Authorization\":[\"Basic YWxpY2U6cHc=\"],", "").replace("\"X-Api-Key\":[\"k-123\"],", "")
                .replace("token=s3cr3t", "token=REDACTED");
        assertThat(redacted(line)).isEqualTo(expected);
    }

    @Test
    void aHeaderLastInItsObjectTakesTheCommaBeforeIt() {
        assertThat(redacted("{\"headers\":{\"Accept\":[\"*/*\"],\"Cookie\":[\"a=b\"]},\"status\":200}"))
                .isEqualTo("{\"headers\":{\"Accept\":[\"*/*\"]},\"status\":200}");
        assertThat(redacted("{\"headers\":{\"Cookie\":[\"a=b\"]}}")).isEqualTo("{\"headers\":{}}");
    }

    @Test
    void aLineCutInTheMiddleOfACredentialLosesItToItsEnd() {
        String line = withSecrets();
        String cut = line.substring(0, line.indexOf("YWxpY2U6") + 4);
        assertThat(redacted(cut)).isEqualTo(cut.substring(0, cut.indexOf("\"Authorization\"")).replace("token=s3cr3t", "token=REDACTED"));
    }

    @Test
    void aHeaderNameWrittenWithEscapesIsFoundAllTheSame() {
        assertThat(redacted("{\"headers\":{\"Author\\u0069zation\":[\"Bearer x\"],\"Accept\":[]}}")).isEqualTo("{\"headers\":{\"Accept\":[]}}");
    }

    @Test
    void aLineWithNothingToRedactIsTheSameArray() {
        byte[] line = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200)).getBytes(StandardCharsets.UTF_8);
        assertThat(REDACTION.redactLine(line)).isSameAs(line);
        byte[] text = "GET /?token=abc HTTP/1.1".getBytes(StandardCharsets.UTF_8);
        assertThat(REDACTION.redactLine(text)).isSameAs(text);
    }

    @Test
    void aDeadLetterOfTheParseStageIsRedacted() {
        String line = withSecrets().replaceFirst("\"status\":200", "\"status\":\"200\"");
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.redact.headers", "X-Api-Key"))) {
            p.send(line);
            String dead = new String(p.deadLetters().get(0).value(), StandardCharsets.UTF_8);
            assertThat(dead).doesNotContain("YWxpY2U6cHc=", "k-123", "s3cr3t").contains("token=REDACTED", "\"status\":\"200\"", "page=2");
        }
    }
}
