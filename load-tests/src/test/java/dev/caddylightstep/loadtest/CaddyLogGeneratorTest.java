package dev.caddylightstep.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CaddyLogGeneratorTest {
    /** Real lines of Caddy 2.6.2, from the capture's access.log: HTTP/1.1 in clear, and HTTP/2 over TLS. */
    private static final String CAPTURED_HTTP_1_1 = "{\"level\":\"info\",\"ts\":1795566967.3149412,\"logger\":\"http.log.access.log0\","
            + "\"msg\":\"handled request\",\"request\":{\"remote_ip\":\"127.0.0.1\",\"remote_port\":\"44850\",\"proto\":\"HTTP/1.1\","
            + "\"method\":\"GET\",\"host\":\"127.0.0.1:18081\",\"uri\":\"/api/users/1\",\"headers\":{\"Authorization\":[],"
            + "\"User-Agent\":[\"curl/7.88.1\"],\"Accept\":[\"*/*\"]}},\"user_id\":\"alice\",\"duration\":1.124539635,\"size\":62,"
            + "\"status\":200,\"resp_headers\":{\"Server\":[\"Caddy\",\"BaseHTTP/0.6 Python/3.11.7\"],"
            + "\"Date\":[\"Wed, 25 Nov 2026 00:36:07 GMT\"],\"Content-Type\":[\"application/json\"],\"Content-Length\":[\"62\"]}}";
    private static final String CAPTURED_HTTP_2_TLS = "{\"level\":\"info\",\"ts\":1795566976.2246668,\"logger\":\"http.log.access.log0\","
            + "\"msg\":\"handled request\",\"request\":{\"remote_ip\":\"127.0.0.1\",\"remote_port\":\"59152\",\"proto\":\"HTTP/2.0\","
            + "\"method\":\"GET\",\"host\":\"localhost:18444\",\"uri\":\"/api/users/1\",\"headers\":{\"Authorization\":[],"
            + "\"User-Agent\":[\"curl/7.88.1\"],\"Accept\":[\"*/*\"]},\"tls\":{\"resumed\":false,\"version\":772,\"cipher_suite\":4865,"
            + "\"proto\":\"h2\",\"server_name\":\"localhost\"}},\"user_id\":\"bob\",\"duration\":1.151677871,\"size\":62,\"status\":200,"
            + "\"resp_headers\":{\"Server\":[\"Caddy\",\"BaseHTTP/0.6 Python/3.11.7\"],\"Alt-Svc\":[\"h3=\\\":18444\\\"; ma=2592000\"],"
            + "\"Date\":[\"Wed, 25 Nov 2026 00:36:16 GMT\"],\"Content-Type\":[\"application/json\"],\"Content-Length\":[\"62\"]}}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GeneratorSettings WITH_MALFORMED = GeneratorSettings.defaults().withShares(0.05, 0.05);
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]");

    @Test
    void theSameSeedGivesTheSameBytes() {
        List<Generated> first = generate(WITH_MALFORMED.withSeed(7), 20_000);
        List<Generated> second = generate(WITH_MALFORMED.withSeed(7), 20_000);

        for (int i = 0; i < first.size(); i++) {
            assertThat(second.get(i).bytes()).as("line %d", i).isEqualTo(first.get(i).bytes());
        }
    }

    /**
     * Pins the bytes a seed gives, so that a change to the generator's code that is meant to leave its output alone
     * is shown to. A change meant to alter the log updates these digests, and its commit says so: benchmark figures
     * taken before it were measured on other lines.
     */
    @Test
    void aSeedGivesTheLogItAlwaysGave() throws IOException {
        RequestMix rarePathsOften = new RequestMix(0.5, 0.3, 0.2, 0.6, 0.5, 0.2, 0.3, 0.5, 0.3);

        assertThat(sha256(WITH_MALFORMED.withSeed(7), 20_000))
                .isEqualTo("32e883e8a9506e9be0e07a0ea9f604f61f1c314d0d1c0916fa50041cecae700f");
        assertThat(sha256(WITH_MALFORMED.withSeed(11).withMix(rarePathsOften), 5_000))
                .isEqualTo("242f4d4ea70f67673e6ae21f857648ed865a992470d8f0cab7dfdd50a9bb86ab");
    }

    @Test
    void anotherSeedGivesAnotherLog() {
        List<Generated> first = generate(WITH_MALFORMED.withSeed(7), 100);
        List<Generated> second = generate(WITH_MALFORMED.withSeed(8), 100);

        long same = 0;
        for (int i = 0; i < first.size(); i++) {
            same += Arrays.equals(first.get(i).bytes(), second.get(i).bytes()) ? 1 : 0;
        }
        assertThat(same).isZero();
    }

    @Test
    void writeLinesWritesWhatNextLineReturnsOnePerLine() throws IOException {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        new CaddyLogGenerator(WITH_MALFORMED).writeLines(written, 2_000);

        ByteArrayOutputStream returned = new ByteArrayOutputStream();
        CaddyLogGenerator generator = new CaddyLogGenerator(WITH_MALFORMED);
        for (int i = 0; i < 2_000; i++) {
            returned.write(generator.nextLine());
            returned.write('\n');
        }
        assertThat(written.toByteArray()).isEqualTo(returned.toByteArray());
    }

    @Test
    void accessLinesHaveTheKeysOfARealLineInTheSameOrder() {
        JsonNode plain = tree(CAPTURED_HTTP_1_1.getBytes(StandardCharsets.UTF_8));
        JsonNode overTls = tree(CAPTURED_HTTP_2_TLS.getBytes(StandardCharsets.UTF_8));
        int tlsLines = 0;

        for (JsonNode line : accessTrees(generate(GeneratorSettings.defaults(), 5_000))) {
            boolean tls = line.get("request").has("tls");
            JsonNode real = tls ? overTls : plain;
            tlsLines += tls ? 1 : 0;
            assertThat(keys(line)).isEqualTo(keys(real));
            assertThat(keys(line.get("request"))).isEqualTo(keys(real.get("request")));
            if (tls) {
                assertThat(keys(line.get("request").get("tls"))).isEqualTo(keys(real.get("request").get("tls")));
            }
        }
        assertThat(tlsLines).isPositive();
    }

    @Test
    void accessFieldsHaveTheTypesCaddyWrites() {
        for (JsonNode line : accessTrees(generate(GeneratorSettings.defaults(), 10_000))) {
            int status = line.get("status").asInt();
            assertThat(line.get("status").isInt()).isTrue();
            // the capture: "error" from 400 up (401, 403, 404, 418 too), "info" below, status 0 included
            assertThat(line.get("level").asText()).isEqualTo(status >= 400 ? "error" : "info");
            assertThat(line.get("ts").isNumber()).isTrue();
            assertThat(line.get("logger").asText()).startsWith("http.log.access.log");
            assertThat(line.get("msg").asText()).isEqualTo("handled request");
            assertThat(line.get("user_id").isTextual()).isTrue();
            assertThat(line.get("duration").isNumber()).isTrue();
            assertThat(line.get("duration").asDouble()).isPositive();
            assertThat(line.get("size").isIntegralNumber()).isTrue();
            assertThat(line.get("size").asLong()).isNotNegative();
            assertThat(isHeaderObject(line.get("resp_headers"))).isTrue();

            JsonNode request = line.get("request");
            assertThat(request.get("remote_ip").isTextual()).isTrue();
            assertThat(request.get("remote_port").isTextual()).isTrue();
            assertThat(request.get("remote_port").asText()).containsOnlyDigits();
            assertThat(request.get("proto").asText()).isIn("HTTP/1.1", "HTTP/2.0");
            assertThat(request.get("method").asText()).isIn("GET", "POST", "PATCH", "DELETE");
            assertThat(request.get("host").isTextual()).isTrue();
            assertThat(request.get("uri").asText()).startsWith("/");
            assertThat(isHeaderObject(request.get("headers"))).isTrue();
            if (request.has("tls")) {
                JsonNode tls = request.get("tls");
                assertThat(tls.get("resumed").isBoolean()).isTrue();
                assertThat(tls.get("version").asInt()).isIn(771, 772);
                assertThat(tls.get("cipher_suite").isInt()).isTrue();
                assertThat(tls.get("proto").asText()).isEqualTo(request.get("proto").asText().equals("HTTP/2.0") ? "h2" : "http/1.1");
                assertThat(tls.get("server_name").asText()).isEqualTo(request.get("host").asText());
            } else {
                assertThat(request.get("proto").asText()).isEqualTo("HTTP/1.1");
            }
        }
    }

    @Test
    void eachKindIsWhatTheStreamsAppParserMakesOfIt() {
        CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), java.util.Set.of(), CapturedHeaders.none());
        Map<LineKind, Set<DeadLetterReason>> reasons = Map.of(
                // a cut after a comma, or inside a number or literal, is a syntax error to Jackson, not an early EOF
                LineKind.TRUNCATED, Set.of(DeadLetterReason.TRUNCATED, DeadLetterReason.NOT_JSON),
                LineKind.NOT_JSON, Set.of(DeadLetterReason.NOT_JSON),
                LineKind.MISSING_METHOD, Set.of(DeadLetterReason.MISSING_FIELD),
                LineKind.STATUS_AS_STRING, Set.of(DeadLetterReason.WRONG_TYPE),
                LineKind.NEGATIVE_DURATION, Set.of(DeadLetterReason.INVALID_VALUE));

        for (Generated line : generate(WITH_MALFORMED, 20_000)) {
            ParseOutcome outcome = parser.parse(line.bytes());
            switch (line.kind()) {
                case ACCESS -> assertThat(outcome).as(line.text()).isInstanceOf(ParseOutcome.Parsed.class);
                case NON_ACCESS -> assertThat(outcome).as(line.text()).isInstanceOf(ParseOutcome.NotAccess.class);
                default -> assertThat(outcome).as(line.text())
                        .isInstanceOfSatisfying(ParseOutcome.Rejected.class, r -> assertThat(r.reason()).isIn(reasons.get(line.kind())));
            }
        }
    }

    @Test
    void malformedAndOtherLoggerSharesAreCloseToTheSettings() {
        int lines = 40_000;
        Map<LineKind, Long> kinds = new EnumMap<>(LineKind.class);
        for (Generated line : generate(WITH_MALFORMED, lines)) {
            kinds.merge(line.kind(), 1L, Long::sum);
        }
        long malformed = kinds.entrySet().stream().filter(e -> e.getKey().malformed()).mapToLong(Map.Entry::getValue).sum();

        // binomial: 2,000 expected, standard deviation about 44; five of them either side
        assertThat(malformed).isBetween(1_780L, 2_220L);
        assertThat(kinds.get(LineKind.NON_ACCESS)).isBetween(1_780L, 2_220L);
        for (LineKind kind : LineKind.values()) {
            assertThat(kinds.get(kind)).as(kind.name()).isPositive();
        }
    }

    @Test
    void noMalformedLineWhenTheShareIsZero() {
        List<Generated> lines = generate(GeneratorSettings.defaults().withShares(0, 0), 20_000);

        assertThat(lines).allMatch(line -> line.kind() == LineKind.ACCESS);
    }

    @Test
    void traceparentsAreValidW3cTraceContext() {
        CaddyLogGenerator generator = new CaddyLogGenerator(GeneratorSettings.defaults().withShares(0, 0));
        int withTraceparent = 0;
        int lines = 10_000;
        for (int i = 0; i < lines; i++) {
            JsonNode headers = tree(generator.nextLine()).get("request").get("headers");
            if (!headers.has("Traceparent")) {
                assertThat(headers.has("Tracestate")).isFalse();
                continue;
            }
            withTraceparent++;
            assertThat(headers.get("Traceparent")).hasSize(1);
            var match = TRACEPARENT.matcher(headers.get("Traceparent").get(0).asText());
            assertThat(match.matches()).as(headers.get("Traceparent").toString()).isTrue();
            assertThat(match.group(1)).isNotEqualTo("0".repeat(32));
            assertThat(match.group(2)).isNotEqualTo("0".repeat(16));
            if (headers.has("Tracestate")) {
                assertThat(headers.get("Tracestate").get(0).asText()).matches("[a-z]+=[0-9A-Za-z]+(,[a-z]+=[0-9A-Za-z]+)*");
            }
        }
        assertThat(withTraceparent).isEqualTo(generator.counts().withTraceparent());
        // 30 % of requests, less the health checks that never carry one
        assertThat(withTraceparent).isBetween(lines * 20 / 100, lines * 31 / 100);
    }

    @Test
    void countsAgreeWithWhatTheLinesSay() {
        CaddyLogGenerator generator = new CaddyLogGenerator(WITH_MALFORMED);
        Map<LineKind, Long> kinds = new EnumMap<>(LineKind.class);
        Map<Integer, Long> statuses = new TreeMap<>();
        Map<String, Long> users = new HashMap<>();
        long anonymous = 0;
        long unknownUser = 0;
        long traced = 0;
        long overTls = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = generator.nextLine();
            kinds.merge(generator.lastKind(), 1L, Long::sum);
            if (generator.lastKind() != LineKind.ACCESS) {
                continue;
            }
            JsonNode line = tree(bytes);
            JsonNode headers = line.get("request").get("headers");
            String user = line.get("user_id").asText();
            statuses.merge(line.get("status").asInt(), 1L, Long::sum);
            if (!user.isEmpty()) {
                users.merge(user, 1L, Long::sum);
            } else if (headers.has("Authorization")) {
                unknownUser++;
            } else {
                anonymous++;
            }
            traced += headers.has("Traceparent") ? 1 : 0;
            overTls += line.get("request").has("tls") ? 1 : 0;
        }

        GeneratedCounts counts = generator.counts();
        assertThat(counts.linesByKind()).containsAllEntriesOf(kinds);
        assertThat(counts.lines()).isEqualTo(20_000);
        assertThat(counts.accessByStatus()).isEqualTo(statuses);
        assertThat(counts.accessByUser()).containsAllEntriesOf(users);
        assertThat(counts.anonymous()).isEqualTo(anonymous);
        assertThat(counts.unknownUser()).isEqualTo(unknownUser);
        assertThat(counts.withTraceparent()).isEqualTo(traced);
        assertThat(counts.overTls()).isEqualTo(overTls);
        assertThat(counts.accessLines() + counts.malformedLines() + counts.nonAccessLines()).isEqualTo(20_000);
    }

    @Test
    void timestampsBeginAtTheStartAndAdvanceAtTheRate() {
        Instant start = Instant.parse("2026-11-25T08:30:00.25Z");
        int lines = 20_000;
        List<Generated> generated = generate(GeneratorSettings.defaults().withStart(start).withLinesPerSecond(5_000).withShares(0, 0.05), lines);

        List<BigDecimal> times = generated.stream().map(line -> tree(line.bytes()).get("ts").decimalValue()).toList();
        // zap divides float64(UnixNano) by 1e9, so the first line says 1795595400.2499998, not .25: within a microsecond
        assertThat(times.get(0)).isCloseTo(new BigDecimal("1795595400.25"), within(new BigDecimal("0.000001")));
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i)).as("line %d", i).isGreaterThanOrEqualTo(times.get(i - 1));
        }
        double span = times.get(lines - 1).subtract(times.get(0)).doubleValue();
        assertThat(span).isCloseTo((lines - 1) / 5_000.0, withinPercentage(3));
    }

    @Test
    void latenciesRunFromMicrosecondsToSecondsWithASlowTail() {
        double[] seconds = accessTrees(generate(GeneratorSettings.defaults(), 50_000)).stream()
                .mapToDouble(line -> line.get("duration").asDouble()).sorted().toArray();

        assertThat(seconds[0]).isLessThan(0.0001);
        assertThat(seconds[seconds.length / 2]).isBetween(0.001, 0.1);
        assertThat(seconds[seconds.length * 99 / 100]).isBetween(0.3, 5.0);
        assertThat(seconds[seconds.length - 1]).isBetween(5.0, 120.0);
    }

    @Test
    void theDefaultMixHasEveryKindOfRequestAsked() {
        List<JsonNode> lines = accessTrees(generate(GeneratorSettings.defaults(), 50_000));
        Set<Integer> statuses = lines.stream().map(line -> line.get("status").asInt()).collect(Collectors.toSet());
        List<String> uris = lines.stream().map(line -> line.get("request").get("uri").asText()).toList();

        assertThat(statuses).contains(0, 200, 201, 204, 301, 304, 401, 403, 404, 500, 502, 503, 504);
        assertThat(uris).anyMatch(uri -> uri.matches("/api/users/\\d+"));
        assertThat(uris).anyMatch(uri -> uri.matches("/api/orders/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/items"));
        assertThat(uris).anyMatch(uri -> uri.matches("/api/blobs/[0-9a-f]{32}"));
        assertThat(uris).anyMatch(uri -> uri.startsWith("/api/%c3%bcn%c3%afcode/%e8%b7%af%e5%be%84/"));
        assertThat(uris).anyMatch(uri -> uri.matches(".*[?&](token|api_key)=[0-9a-f]{32}"));
        assertThat(lines).anyMatch(line -> line.get("request").get("proto").asText().equals("HTTP/2.0"));
        assertThat(lines).anyMatch(line -> line.get("request").get("headers").toString().length() > 3_000);
        assertThat(lines).anyMatch(line -> line.get("status").asInt() == 401 && line.get("user_id").asText().isEmpty()
                && line.get("request").get("headers").path("Authorization").isEmpty()
                && line.get("request").get("headers").has("Authorization"));
        Set<String> users = lines.stream().map(line -> line.get("user_id").asText()).filter(u -> !u.isEmpty()).collect(Collectors.toSet());
        assertThat(users).containsExactlyInAnyOrderElementsOf(BasicAuthUsers.KNOWN).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void clientWeightsDecideWhoSendsTheRequests() {
        RequestMix onlyAnonymous = RequestMix.defaults().withWeights(0, 1, 0);
        CaddyLogGenerator generator = new CaddyLogGenerator(GeneratorSettings.defaults().withShares(0, 0).withMix(onlyAnonymous));

        List<JsonNode> lines = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            lines.add(tree(generator.nextLine()));
        }
        assertThat(lines).allMatch(line -> line.get("user_id").asText().isEmpty());
        assertThat(generator.counts().anonymous()).isEqualTo(2_000);
    }

    @Test
    void settingsNameTheValueTheyRefuse() {
        assertThatThrownBy(() -> GeneratorSettings.defaults().withShares(0.7, 0.6))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformedShare + nonAccessShare");
        assertThatThrownBy(() -> GeneratorSettings.defaults().withLinesPerSecond(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linesPerSecond");
        assertThatThrownBy(() -> RequestMix.defaults().withWeights(0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("authenticatedWeight");
    }

    private record Generated(LineKind kind, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static List<Generated> generate(GeneratorSettings settings, int lines) {
        CaddyLogGenerator generator = new CaddyLogGenerator(settings);
        List<Generated> generated = new ArrayList<>(lines);
        for (int i = 0; i < lines; i++) {
            byte[] bytes = generator.nextLine();
            generated.add(new Generated(generator.lastKind(), bytes));
        }
        return generated;
    }

    private static String sha256(GeneratorSettings settings, int lines) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        new CaddyLogGenerator(settings).writeLines(new DigestOutputStream(OutputStream.nullOutputStream(), digest), lines);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static List<JsonNode> accessTrees(List<Generated> lines) {
        return lines.stream().filter(line -> line.kind() == LineKind.ACCESS).map(line -> tree(line.bytes())).toList();
    }

    private static JsonNode tree(byte[] line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(new String(line, StandardCharsets.UTF_8), e);
        }
    }

    private static List<String> keys(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static boolean isHeaderObject(JsonNode headers) {
        if (!headers.isObject()) {
            return false;
        }
        for (JsonNode values : headers) {
            if (!values.isArray()) {
                return false;
            }
            for (JsonNode value : values) {
                if (!value.isTextual()) {
                    return false;
                }
            }
        }
        return true;
    }
}
