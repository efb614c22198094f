package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The scanner of plain lines against Jackson, on Caddy's own lines and on every cut and change of them: it reads what
 * Jackson reads, token for token, or it gives up; and the parser built on both answers every line as Jackson alone does.
 */
class AsciiLineTokensTest {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Map<String, FieldName> FIELD_NAMES = FieldName.byName(LogFormat.CADDY_DEFAULT.userIdField());
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of("X-Api-Key"),
            new CapturedHeaders(Set.of("Accept", "User-Agent"), Set.of("Content-Type", "Server")));
    /** Bytes that start, end or break a token, or are no plain ASCII. */
    private static final byte[] CHANGES = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '-', '+', '.', 'e', 'u', 't', 'n', ' ', '\n', 0,
            0x1f, 0x7f, (byte) 0xc3, (byte) 0xff};

    @Test
    void readsEveryLineCaddyWroteAsJacksonDoes() throws IOException {
        List<String> lines = captureLines().toList();
        assertThat(lines).hasSizeGreaterThan(1_000).anyMatch(line -> line.contains("/api/raw/\u00fcn\u00efcode/\u8def\u5f84"));
        AsciiLineTokens scanner = new AsciiLineTokens(FIELD_NAMES);
        for (String line : lines) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            assertThat(tokens(scanner.reset(bytes))).as(line).isEqualTo(jacksonTokens(bytes));
        }
    }

    /** So that the reader's switches on names find their hash cached; "msg" and "cipher_suite" once took turns in one slot. */
    @Test
    void givesEachNameOfUpTo16BytesAsOneStringOverAWholeCapture() throws IOException {
        Map<String, Set<String>> instances = stringsOverACapture((scanner, token) -> token == JsonToken.FIELD_NAME ? scanner.currentName() : null);
        assertThat(instances).containsKeys("msg", "cipher_suite", "User-Agent", "resp_headers")
                .allSatisfy((name, strings) -> assertThat(strings).as(name).hasSize(1));
    }

    /** So that the reader switches on a constant: every name it reads is given as its own, the user id's as configured. */
    @Test
    void givesEachNameTheReaderReadsAsItsFieldNameAndAnyOtherAsOther() throws IOException {
        // a name from the settings is read from a file, not a literal
        CaddyLineReader reader = new CaddyLineReader(new LogFormat(new String("uid"), LogFormat.DurationFormat.AUTO, "http.log.access", 65_536,
                java.time.Duration.ofMinutes(5)), Set.of(), Set.of(), Set.of());
        AsciiLineTokens scanner = new AsciiLineTokens(reader.fieldNames());
        Map<String, Set<FieldName>> given = new HashMap<>();
        for (String line : captureLines().toList()) {
            scanner.reset(line.replace("\"user_id\":", "\"uid\":").getBytes(StandardCharsets.UTF_8));
            for (JsonToken token = scanner.nextToken(); token != null; token = scanner.nextToken()) {
                if (token == JsonToken.FIELD_NAME) {
                    given.computeIfAbsent(scanner.currentName(), name -> EnumSet.noneOf(FieldName.class)).add(scanner.fieldName());
                }
            }
        }
        assertThat(given).containsEntry("ts", Set.of(FieldName.TS)).containsEntry("msg", Set.of(FieldName.MSG))
                .containsEntry("remote_ip", Set.of(FieldName.REMOTE_IP)).containsEntry("proto", Set.of(FieldName.PROTO))
                .containsEntry("cipher_suite", Set.of(FieldName.CIPHER_SUITE)).containsEntry("resp_headers", Set.of(FieldName.RESP_HEADERS))
                .containsEntry("uid", Set.of(FieldName.USER_ID))
                .containsEntry("level", Set.of(FieldName.OTHER)).containsEntry("User-Agent", Set.of(FieldName.OTHER));
        // names past the 16 bytes a slot remembers are looked up by their String
        assertThat(scanner.reset(utf8("{\"client_common_name\":\"a\",\"upstream_duration_ms_x\":1}")).nextToken()).isEqualTo(JsonToken.START_OBJECT);
        scanner.nextToken();
        assertThat(scanner.fieldName()).isEqualTo(FieldName.CLIENT_COMMON_NAME);
        scanner.nextToken();
        scanner.nextToken();
        assertThat(scanner.fieldName()).isEqualTo(FieldName.OTHER);
    }

    /**
     * So that a line's method, protocol and host cost no String of their own: each value of up to 16 bytes is given as
     * one String over a whole capture. That each is the text Jackson reads, whatever a client sends, every comparison
     * with Jackson here checks ({@link #tokens}).
     */
    @Test
    void givesEachRecurringValueOfUpTo16BytesAsOneStringOverAWholeCapture() throws IOException {
        Set<FieldName> recurring = Set.of(FieldName.METHOD, FieldName.PROTO, FieldName.HOST);
        Map<String, Set<String>> instances = stringsOverACapture((scanner, token) ->
                token == JsonToken.VALUE_STRING && recurring.contains(scanner.fieldName()) ? scanner.getRecurringText() : null);
        assertThat(instances).containsKeys("GET", "POST", "HTTP/1.1", "HTTP/2.0", "127.0.0.1:18081")
                .allSatisfy((value, strings) -> assertThat(strings).as(value).hasSize(1));
    }

    @Test
    void decodesEscapesAsJacksonDoes() throws IOException {
        // as Caddy's encoder escapes a quote, a backslash and control characters, and Go's encoding/json <, >, & and U+2028
        String line = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200))
                .replace("\"/health\"", "\"/a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\\u0001j\\u2028k\\u0026\\u003c\\u003E\"");
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        assertThat(line).contains("\"uri\":\"/a\\\"b");
        assertThat(tokens(new AsciiLineTokens(FIELD_NAMES).reset(bytes))).isEqualTo(jacksonTokens(bytes));
    }

    @Test
    void givesUpOnWhatItLeavesToJackson() {
        String health = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        for (byte[] line : List.of(
                // a byte that starts no UTF-8 sequence, and an overlong form of '/'
                health.replace("/health", "/h\u00ffalth").getBytes(StandardCharsets.ISO_8859_1),
                health.replace("/health", "/\u00c0\u00afhealth").getBytes(StandardCharsets.ISO_8859_1),
                utf8(health.replace("/health", "/h\u00e9alth\\n")),
                utf8(health.replace("/health", "/\\ud83d\\ude00")),
                utf8(health.replace("\"status\":200", "\"status\":1234567890123456789012")),
                utf8(health.replace("\"ts\":", "\"ts\":1" + "0".repeat(40) + ",\"t\":")),
                utf8(health.replace("\"logger\"", "\"log\\u0067er\"")),
                utf8(health.replace("\"size\":", "\"deep\":" + "[".repeat(40) + "]".repeat(40) + ",\"size\":")),
                utf8(health + "{}"))) {
            String as = new String(line, StandardCharsets.UTF_8);
            assertThatThrownBy(() -> tokens(new AsciiLineTokens(FIELD_NAMES).reset(line))).as(as).isInstanceOf(AsciiLineTokens.NotPlain.class);
            assertThat(PARSER.parse(line)).as(as).isEqualTo(PARSER.parseWithJackson(line));
        }
    }

    /** A header's values no stage reads are skipped in one go when they are strings alone, else token by token. */
    @Test
    void skipsTheValuesOfAHeaderItDoesNotReadAsItsTokensWould() {
        String health = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        List<String> wellFormed = List.of("[]", "[\"\"]", "[\"a\",\"b\\\"c\"]", "[ \"a\" ]", "[\"a\",1,{\"b\":[]}]", "[[\"a\"]]");
        List<String> malformed = List.of("[\"a\",]", "[\"a\"\"b\"]", "[\"a\",\"b\"", "[\"a\u0001\"]", "[\"a\"}", "[,\"a\"]");
        for (String values : Stream.concat(wellFormed.stream(), malformed.stream()).toList()) {
            byte[] line = utf8(health.replace("\"headers\":{", "\"headers\":{\"Via\":" + values + ","));
            ParseOutcome outcome = PARSER.parse(line);
            assertThat(outcome).as(values).isEqualTo(PARSER.parseWithJackson(line))
                    .isInstanceOf(wellFormed.contains(values) ? ParseOutcome.Parsed.class : ParseOutcome.Rejected.class);
        }
    }

    private static byte[] utf8(String line) {
        return line.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Each line cut at every byte, each byte dropped, and each replaced by and preceded with each of {@link #CHANGES}:
     * 180,000 lines, most of them malformed.
     */
    @Test
    void readsWhatJacksonReadsOrGivesUpOnEveryCutAndChangeOfARealLine() throws IOException {
        AsciiLineTokens scanner = new AsciiLineTokens(FIELD_NAMES);
        int read = 0;
        int variants = 0;
        for (String line : sampleLines()) {
            for (byte[] variant : variants(line.getBytes(StandardCharsets.UTF_8))) {
                variants++;
                List<String> scanned;
                try {
                    scanned = tokens(scanner.reset(variant));
                } catch (AsciiLineTokens.NotPlain gaveUp) {
                    scanned = null;
                }
                if (scanned != null) {
                    // a line given up on is read again by Jackson alone; one read here must be answered as Jackson answers it
                    read++;
                    String as = new String(variant, StandardCharsets.UTF_8);
                    assertThat(scanned).as(as).isEqualTo(jacksonTokens(variant));
                    assertThat(PARSER.parse(variant)).as(as).isEqualTo(PARSER.parseWithJackson(variant));
                }
                // the parser skips the values it does not read, which the scanner does without their tokens
                List<String> skipping;
                try {
                    skipping = tokens(scanner.reset(variant), true);
                } catch (AsciiLineTokens.NotPlain gaveUp) {
                    skipping = null;
                }
                if (skipping != null) {
                    assertThat(skipping).as(new String(variant, StandardCharsets.UTF_8)).isEqualTo(jacksonTokens(variant, true));
                }
            }
        }
        // the changes that keep a line JSON (a digit for a digit, a space between tokens) are read, not given up on
        assertThat(read).isGreaterThan(variants / 20);
    }

    private static List<String> sampleLines() {
        return List.of(
                CaddyCapture.access(CaddyCapture.request("GET", "/health", 200)),
                CaddyCapture.first("access.log", node -> node.path("request").has("tls") && node.path("resp_headers").has("Alt-Svc")),
                CaddyCapture.first("access.log", node -> node.path("resp_headers").path("Www-Authenticate").size() > 0),
                CaddyCapture.lines("netlog.ndjson").get(0),
                CaddyCapture.lines("caddy-stderr.log").get(0));
    }

    private static List<byte[]> variants(byte[] line) {
        List<byte[]> variants = new ArrayList<>();
        for (int i = 0; i < line.length; i++) {
            // an empty line is refused before it is read
            if (i > 0) {
                variants.add(Arrays.copyOf(line, i));
            }
            byte[] dropped = new byte[line.length - 1];
            System.arraycopy(line, 0, dropped, 0, i);
            System.arraycopy(line, i + 1, dropped, i, line.length - i - 1);
            variants.add(dropped);
            for (byte change : CHANGES) {
                byte[] replaced = line.clone();
                replaced[i] = change;
                variants.add(replaced);
                byte[] inserted = new byte[line.length + 1];
                System.arraycopy(line, 0, inserted, 0, i);
                inserted[i] = change;
                System.arraycopy(line, i, inserted, i + 1, line.length - i);
                variants.add(inserted);
            }
        }
        return variants;
    }

    /** What the scanner read of the captures' lines, the texts of up to 16 chars: the Strings it gave for each. */
    private static Map<String, Set<String>> stringsOverACapture(TokenText read) throws IOException {
        AsciiLineTokens scanner = new AsciiLineTokens(FIELD_NAMES);
        Map<String, Set<String>> instances = new HashMap<>();
        for (String line : captureLines().toList()) {
            scanner.reset(line.getBytes(StandardCharsets.UTF_8));
            for (JsonToken token = scanner.nextToken(); token != null; token = scanner.nextToken()) {
                String text = read.of(scanner, token);
                if (text != null && !text.isEmpty() && text.length() <= 16) {
                    instances.computeIfAbsent(text, t -> Collections.newSetFromMap(new IdentityHashMap<>())).add(text);
                }
            }
        }
        return instances;
    }

    /** A text of the current token, or null for none. */
    private interface TokenText {
        String of(AsciiLineTokens scanner, JsonToken token) throws IOException;
    }

    private static Stream<String> captureLines() {
        return Stream.of("access.log", "bulk.log", "netlog.ndjson", "filterbug.log", "caddy-stderr.log").flatMap(file -> CaddyCapture.lines(file).stream());
    }

    private static List<String> jacksonTokens(byte[] line) {
        return jacksonTokens(line, false);
    }

    /** Jackson's tokens of a line, or null when Jackson refuses it. */
    private static List<String> jacksonTokens(byte[] line, boolean skipArrays) {
        try (JsonParser parser = JSON.createParser(line)) {
            return tokens(new JacksonLineTokens(parser, FIELD_NAMES), skipArrays);
        } catch (IOException e) {
            return null;
        }
    }

    private static List<String> tokens(LineTokens tokens) throws IOException {
        return tokens(tokens, false);
    }

    /** Each token with its name, text or value, as the reader may ask for them; with each array skipped, or not. */
    private static List<String> tokens(LineTokens tokens, boolean skipArrays) throws IOException {
        List<String> read = new ArrayList<>();
        for (JsonToken token = tokens.nextToken(); token != null; token = tokens.nextToken()) {
            if (skipArrays && token == JsonToken.START_ARRAY) {
                tokens.skipChildren();
                read.add("skipped array");
                continue;
            }
            read.add(switch (token) {
                // its length asked first, as the reader does of headers, before the name is made a String
                case FIELD_NAME -> "name of " + tokens.currentNameLength() + " " + tokens.currentName() + " " + tokens.fieldName();
                // and as a recurring value: the same text, which the scanner may have made on an earlier line
                case VALUE_STRING -> "string " + tokens.getText() + " recurring " + tokens.getRecurringText();
                case VALUE_NUMBER_INT -> "int " + tokens.getText() + " read as " + charByChar(tokens.numberText()) + " = "
                        + tokens.getLongValue() + (tokens.getText().length() <= 9 ? " = " + tokens.getIntValue() : "");
                case VALUE_NUMBER_FLOAT -> "float " + tokens.getText() + " read as " + charByChar(tokens.numberText());
                default -> token.name();
            });
        }
        return read;
    }

    /** A number's text as LogTimes reads it, by its length and chars rather than its toString. */
    private static String charByChar(CharSequence text) {
        StringBuilder chars = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            chars.append(text.charAt(i));
        }
        return chars.toString();
    }
}
