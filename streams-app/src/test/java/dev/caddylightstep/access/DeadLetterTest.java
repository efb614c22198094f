package dev.caddylightstep.access;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.PipelineHarness;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** Every line that is not a well-formed access entry goes, unchanged, to caddy.access.dlq with its reason. */
class DeadLetterTest {
    private static final String HEALTH = access(request("GET", "/health", 200));

    private static TestRecord<byte[], byte[]> onlyDeadLetter(PipelineHarness p) {
        assertThat(p.spans()).isEmpty();
        assertThat(p.deadLetters()).hasSize(1);
        return p.deadLetters().get(0);
    }

    private static String reasonOf(String line) {
        try (PipelineHarness p = PipelineHarness.start()) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.send(line));
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(line);
            return DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON);
        }
    }

    private static String withoutRequestField(String line, String field) {
        ObjectNode node = (ObjectNode) CaddyCapture.tree(line);
        ((ObjectNode) node.get("request")).remove(field);
        return CaddyCapture.write(node);
    }

    @Test
    void aDeadLetterSaysWhyAndWhereItCameFrom() {
        try (PipelineHarness p = PipelineHarness.start()) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.send("GET /health HTTP/1.1"));
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("not-json");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.STAGE)).isEqualTo("parse");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.TOPIC)).isEqualTo("caddy.access");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.PARTITION)).isEqualTo("0");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.OFFSET)).isEqualTo("0");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.MESSAGE)).isNotBlank();
        }
    }

    @Test
    void plainTextIsNotJson() {
        assertThat(reasonOf("127.0.0.1 - alice [25/Nov/2026:00:36:06 +0000] \"GET /health HTTP/1.1\" 200 2")).isEqualTo("not-json");
    }

    @Test
    void aLineCutShortIsTruncated() {
        assertThat(reasonOf(HEALTH.substring(0, HEALTH.length() / 2))).isEqualTo("truncated");
    }

    @Test
    void jsonThatIsNotAnObjectIsRejected() {
        assertThat(reasonOf("[" + HEALTH + "]")).isEqualTo("not-an-object");
    }

    @Test
    void aFieldGivenTwiceIsRejected() {
        assertThat(reasonOf(HEALTH.replace("\"status\":200", "\"status\":200,\"status\":500"))).isEqualTo("duplicate-field");
    }

    @Test
    void aRequestFieldGivenTwiceIsRejected() {
        assertThat(reasonOf(HEALTH.replace("\"method\":\"GET\"", "\"method\":\"GET\",\"method\":\"DELETE\""))).isEqualTo("duplicate-field");
    }

    @Test
    void aHeaderTheParserReadsGivenTwiceInAnyCaseIsRejected() {
        assertThat(reasonOf(HEALTH.replace("\"User-Agent\":[\"curl/7.88.1\"]", "\"User-Agent\":[\"curl/7.88.1\"],\"user-agent\":[\"evil\"]")))
                .isEqualTo("duplicate-field");
    }

    @Test
    void aLineWithoutMethodIsMissingAField() {
        assertThat(reasonOf(withoutRequestField(HEALTH, "method"))).isEqualTo("missing-field");
    }

    @Test
    void aLineWithoutUriIsMissingAField() {
        assertThat(reasonOf(withoutRequestField(HEALTH, "uri"))).isEqualTo("missing-field");
    }

    @Test
    void anAccessLineWithoutRequestIsMissingAField() {
        ObjectNode node = (ObjectNode) CaddyCapture.tree(HEALTH);
        node.remove("request");
        assertThat(reasonOf(CaddyCapture.write(node))).isEqualTo("missing-field");
    }

    @Test
    void aStatusGivenAsAStringIsTheWrongType() {
        assertThat(reasonOf(HEALTH.replace("\"status\":200", "\"status\":\"200\""))).isEqualTo("wrong-type");
    }

    /**
     * Found by CaddyLogParserFuzzTest: Go's net/http writes no status outside 100..999 (WriteHeader panics), and Caddy logs
     * 0 when nothing was written; a line saying 1 was made by something else, and its span said status 1.
     */
    @Test
    void aStatusBelow100ButZeroIsAnInvalidValue() {
        assertThat(reasonOf(HEALTH.replace("\"status\":200", "\"status\":1"))).isEqualTo("invalid-value");
        assertThat(reasonOf(HEALTH.replace("\"status\":200", "\"status\":99"))).isEqualTo("invalid-value");
    }

    /**
     * Found by SpanEncoderFuzzTest: a duration longer than the time since the epoch of ts made a request that started
     * before 1970, a negative start that OTLP's unsigned nanoseconds read as a start centuries after its end.
     */
    @Test
    void aRequestThatStartedBeforeTheEpochIsAnInvalidValue() {
        assertThat(reasonOf(HEALTH.replaceFirst("\"duration\":[0-9.e-]+", "\"duration\":2e9"))).isEqualTo("invalid-value");
    }

    @Test
    void headersThatAreNotListsAreTheWrongType() {
        assertThat(reasonOf(HEALTH.replace("\"User-Agent\":[\"curl/7.88.1\"]", "\"User-Agent\":\"curl/7.88.1\""))).isEqualTo("wrong-type");
    }

    @Test
    void aNegativeDurationIsAnInvalidValue() {
        assertThat(reasonOf(HEALTH.replace("\"duration\":0.000037721", "\"duration\":-0.000037721"))).isEqualTo("invalid-value");
    }

    @Test
    void aTimestampInAnUnknownFormatIsAnInvalidValue() {
        assertThat(reasonOf(CaddyCapture.withField(HEALTH, "ts", "2026/11/25 00:36:06"))).isEqualTo("invalid-value");
    }

    @Test
    void invalidUtf8ThatStaysBrokenAfterRepairIsDeadLettered() {
        byte[] truncatedAndInvalid = new byte[] {'{', '"', 'l', 'o', 'g', 'g', 'e', 'r', '"', ':', '"', (byte) 0xff};
        try (PipelineHarness p = PipelineHarness.start()) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.sendBytes(truncatedAndInvalid));
            assertThat(dead.value()).isEqualTo(truncatedAndInvalid);
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("invalid-utf8");
        }
    }

    @Test
    void anEmptyRecordIsNotJson() {
        try (PipelineHarness p = PipelineHarness.start()) {
            assertThat(DeadLetterHeaders.text(onlyDeadLetter(p.sendBytes(new byte[0])).headers(), DeadLetterHeaders.REASON)).isEqualTo("not-json");
        }
    }

    @Test
    void aLineLongerThanTheLimitIsDeadLetteredUnparsed() {
        String longLine = CaddyCapture.withRequestField(HEALTH, "uri", "/health?" + "q".repeat(4096));
        try (PipelineHarness p = PipelineHarness.start(Map.of("caddy.log.max-line-bytes", "4096"))) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.send(longLine));
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("line-too-long");
        }
    }

    /** 11 characters in ts; expanded, a billion digits, and a dead letter whose message quoted them was a gigabyte. */
    @Test
    void aTimestampOfElevenCharactersIsAnInvalidValueWithAShortMessage() {
        String line = HEALTH.replaceFirst("\"ts\":[0-9.]+", "\"ts\":1e999999999");
        try (PipelineHarness p = PipelineHarness.start()) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.send(line));
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("invalid-value");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.MESSAGE)).hasSizeLessThan(1_000).startsWith("ts:");
            assertThat(dead.value()).isEqualTo(line.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aDurationOfElevenCharactersIsAnInvalidValue() {
        String line = HEALTH.replaceFirst("\"duration\":[0-9.]+", "\"duration\":1E999999999");
        assertThat(reasonOf(line)).isEqualTo("invalid-value");
    }

    /** Every line any Caddy logger writes has zap's msg, and Caddy's default logger no logger name: {} is neither. */
    @Test
    void aJsonObjectWithoutLoggerOrMessageIsNoCaddyLine() {
        assertThat(reasonOf("{}")).isEqualTo("missing-field");
        assertThat(reasonOf("{\"level\":\"info\",\"ts\":1795566966.1}")).isEqualTo("missing-field");
    }

    @Test
    void aLineOfCaddysDefaultLoggerIsSkippedNotDeadLettered() {
        String unnamed = CaddyCapture.lines("caddy-stderr.log").get(0);
        assertThat(unnamed).doesNotContain("\"logger\"");
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(unnamed);
            assertThat(p.deadLetters()).isEmpty();
            assertThat(p.metric("lines-skipped-total")).isEqualTo(1.0);
        }
    }

    @Test
    void aLineLoggedFurtherAheadThanTheClockSkewIsFromTheFuture() {
        long tenMinutesAhead = PipelineHarness.WALL_CLOCK_START.plusSeconds(600).toEpochMilli();
        String line = CaddyCapture.withField(HEALTH, "ts", java.math.BigDecimal.valueOf(tenMinutesAhead).movePointLeft(3));
        try (PipelineHarness p = PipelineHarness.start()) {
            TestRecord<byte[], byte[]> dead = onlyDeadLetter(p.send(line));
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.REASON)).isEqualTo("future");
            assertThat(DeadLetterHeaders.text(dead.headers(), DeadLetterHeaders.MESSAGE)).contains("600 s ahead", "caddy.log.max-clock-skew");
        }
    }

    @Test
    void aLineWithinTheClockSkewIsARequest() {
        long fourMinutesAhead = PipelineHarness.WALL_CLOCK_START.plusSeconds(240).toEpochMilli();
        String line = CaddyCapture.withField(HEALTH, "ts", java.math.BigDecimal.valueOf(fourMinutesAhead).movePointLeft(3));
        try (PipelineHarness p = PipelineHarness.start()) {
            p.send(line);
            assertThat(p.spans()).hasSize(1);
            assertThat(p.deadLetters()).isEmpty();
        }
    }
}
