package dev.caddylightstep.access;

import static dev.caddylightstep.testing.capture.CaddyCapture.access;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.capture.CaddyCapture;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the parser keeps of a line: the headers something reads or records, not every header logged. */
class CaddyLogParserTest {
    private static final String TRACED = access(request("GET", "/api/traced/1", 200));

    private static AccessEvent parse(CaddyLogParser parser, String line) {
        ParseOutcome outcome = parser.parse(line.getBytes(StandardCharsets.UTF_8));
        assertThat(outcome).isInstanceOf(ParseOutcome.Parsed.class);
        return ((ParseOutcome.Parsed) outcome).event();
    }

    @Test
    void noRequestHeaderIsKeptWhenNoStageReadsOne() {
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none()), TRACED);

        assertThat(event.requestHeaders()).isEmpty();
        assertThat(event.userAgent()).isEqualTo("curl/7.88.1");
        assertThat(event.trace().traceState()).isEqualTo("rojo=00f067aa0ba902b7");
    }

    /**
     * A request target in absolute form, as a client writes one to a proxy, is logged as it was sent; with no path before
     * its query, the query still starts at the '?', and its secrets are redacted in the query and in the uri the event
     * carries on (the partitioned identity join writes it to a topic).
     */
    @Test
    void anAbsoluteFormTargetWithoutAPathHasItsQueryRedacted() {
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());

        AccessEvent event = parse(parser, CaddyCapture.withRequestField(TRACED, "uri", "http://127.0.0.1:18081?q=1&token=secret123"));
        assertThat(event.path()).isEqualTo("/");
        assertThat(event.query()).isEqualTo("q=1&token=REDACTED");
        assertThat(event.uri()).isEqualTo("http://127.0.0.1:18081?q=1&token=REDACTED");

        AccessEvent withPath = parse(parser, CaddyCapture.withRequestField(TRACED, "uri", "http://127.0.0.1:18081/a?token=secret123"));
        assertThat(withPath.path()).isEqualTo("/a");
        assertThat(withPath.uri()).isEqualTo("http://127.0.0.1:18081/a?token=REDACTED");
    }

    /**
     * A query of a million parameters, the last a token, in a line as long as the parser takes (2 MiB): its value is
     * redacted, and the query read once. Each parameter's search for its '=' ran to the query's end (19-24 s here on
     * 85dcc81, one stream thread's); the timeout only stops such a search, it measures nothing.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aQueryOfAMillionParametersIsRedactedInOnePass() {
        String query = "a&".repeat(1_000_000) + "token=s3cr3t";
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none()),
                CaddyCapture.withRequestField(TRACED, "uri", "/api/traced/1?" + query));

        assertThat(event.query()).hasSize(query.length() - "s3cr3t".length() + Redaction.REDACTED.length()).endsWith("&a&token=REDACTED");
    }

    @Test
    void anIdentityHeaderIsKeptInWhateverCaseTheLineGivesIt() {
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of("x-user"), CapturedHeaders.none()),
                TRACED.replace("\"Accept\":[\"*/*\"]", "\"Accept\":[\"*/*\"],\"X-User\":[\"alice@example.com\"]"));

        assertThat(event.requestHeader("X-User")).isEqualTo("alice@example.com");
    }

    /**
     * A parser remembers what each header name of a length it reads came to, up to a bound: names a client makes up, of
     * those lengths, are not taken for the headers it reads, and once it remembers no more, a name in a case it has not
     * seen is still found.
     */
    @Test
    void headerNamesAClientMakesUpNeverStopTheParserReadingItsHeaders() {
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of("x-user"), CapturedHeaders.none());
        for (int i = 0; i < 3_000; i++) {
            // as long as X-User and as User-Agent
            String madeUp = "\"X-%04d\":[\"v\"],\"Z-%08d\":[\"w\"]".formatted(i, i);
            AccessEvent event = parse(parser, TRACED.replace("\"Accept\":[\"*/*\"]", "\"Accept\":[\"*/*\"]," + madeUp));

            assertThat(event.requestHeader("X-User")).as("line %d", i).isNull();
            assertThat(event.userAgent()).as("line %d", i).isEqualTo("curl/7.88.1");
        }
        AccessEvent event = parse(parser, TRACED.replace("\"Accept\":[\"*/*\"]", "\"Accept\":[\"*/*\"],\"x-USER\":[\"alice@example.com\"]"));

        assertThat(event.requestHeader("X-User")).isEqualTo("alice@example.com");
        assertThat(event.userAgent()).isEqualTo("curl/7.88.1");
    }

    @Test
    void aCredentialHeaderIsNotKeptEvenWhenAskedFor() {
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of("Authorization"), CapturedHeaders.none()),
                TRACED.replace("\"Authorization\":[]", "\"Authorization\":[\"Basic YWxpY2U6c2VjcmV0\"]"));

        assertThat(event.requestHeader("Authorization")).isNull();
    }

    @Test
    void noResponseHeaderIsKeptUnlessCaptured() {
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none()), TRACED);

        assertThat(event.responseHeaders()).isEmpty();
    }

    @Test
    void capturedResponseHeadersAreKeptWithEveryValue() {
        CapturedHeaders captured = new CapturedHeaders(Set.of(), Set.of("server", "Content-Type"));
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), captured), TRACED);

        assertThat(event.responseHeaders()).containsOnlyKeys("Server", "Content-Type");
        assertThat(event.responseHeaders().get("Server")).containsExactly("Caddy", "BaseHTTP/0.6 Python/3.11.7");
    }

    @Test
    void capturedRequestHeadersAreKeptWhetherOrNotTheParserReadsThem() {
        CapturedHeaders captured = new CapturedHeaders(Set.of("accept", "user-agent"), Set.of());
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), captured), TRACED);

        assertThat(event.requestHeaders()).containsOnlyKeys("Accept", "User-Agent");
        assertThat(event.userAgent()).isEqualTo("curl/7.88.1");
    }

    /** caddy.log.user-id-field may name a field the request has too: at the top it is the user, inside the request its own. */
    @Test
    void aUserIdFieldNamedAsARequestFieldIsTheUserAtTheTopAndTheRequestsFieldInside() {
        LogFormat format = new LogFormat("host", LogFormat.DurationFormat.AUTO, "http.log.access", 65_536, java.time.Duration.ofMinutes(5));
        CaddyLogParser parser = new CaddyLogParser(format, Redaction.defaults(), Set.of(), CapturedHeaders.none());
        String line = TRACED.replace("\"user_id\":\"alice\"", "\"host\":\"alice\"");
        assertThat(line).contains("\"host\":\"alice\"");

        AccessEvent event = parse(parser, line);

        assertThat(event.userId()).isEqualTo("alice");
        assertThat(event.host()).isEqualTo(parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none()), TRACED).host())
                .isNotEqualTo("alice");
        assertThat(parser.parse(line.getBytes(StandardCharsets.UTF_8))).isEqualTo(parser.parseWithJackson(line.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aCapturedResponseHeaderLoggedTwiceIsADuplicateField() {
        CapturedHeaders captured = new CapturedHeaders(Set.of(), Set.of("Content-Type"));
        String twice = TRACED.replace("\"Content-Type\":[\"application/json\"]", "\"Content-Type\":[\"application/json\"],\"content-type\":[\"text/html\"]");
        ParseOutcome outcome = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), captured)
                .parse(twice.getBytes(StandardCharsets.UTF_8));

        assertThat(outcome).isInstanceOfSatisfying(ParseOutcome.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(dev.caddylightstep.deadletter.DeadLetterReason.DUPLICATE_FIELD);
            assertThat(rejected.detail()).contains("resp_headers.content-type");
        });
    }

    @Test
    void aNullAmongTheValuesOfAHeaderThePipelineKeepsOrReadsIsAWrongType() {
        CapturedHeaders captured = new CapturedHeaders(Set.of("accept"), Set.of());
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), captured);
        for (String header : new String[] {"Accept", "User-Agent"}) {
            String withNull = CaddyCapture.write(withHeaderValues(TRACED, header));
            ParseOutcome outcome = parser.parse(withNull.getBytes(StandardCharsets.UTF_8));

            assertThat(outcome).as(header).isInstanceOfSatisfying(ParseOutcome.Rejected.class, rejected -> {
                assertThat(rejected.reason()).isEqualTo(dev.caddylightstep.deadletter.DeadLetterReason.WRONG_TYPE);
                assertThat(rejected.detail()).isEqualTo("request.headers." + header + " holds a null, not a string");
            });
        }
    }

    /** The line with the request header's values a string and a null. */
    private static com.fasterxml.jackson.databind.JsonNode withHeaderValues(String line, String header) {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) CaddyCapture.tree(line);
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.path("request").path("headers")).putArray(header).add("x").addNull();
        return tree;
    }

    @Test
    void aTlsVersionOrCipherSuiteOfNullIsUnknown() {
        String https = CaddyCapture.lines("access.log").stream().filter(line -> line.contains("\"version\":772")).findFirst().orElseThrow();
        AccessEvent event = parse(new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none()),
                https.replace("\"version\":772,\"cipher_suite\":4865", "\"version\":null,\"cipher_suite\":null"));

        assertThat(event.scheme()).isEqualTo("https");
        assertThat(event.tls().version()).isZero();
        assertThat(event.tls().protocolVersion()).isNull();
        assertThat(event.tls().cipherSuite()).isZero();
        assertThat(event.tls().serverName()).isEqualTo("localhost");
    }
}
