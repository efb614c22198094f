package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Server-Timing headers of any text: the reader never fails, keeps at most 64 entries, and reads exactly what a
 * reference made of the header's grammar as regular expressions reads: the same entries, names and durations, the same
 * count of skipped ones. An input is the header's values, one per line. The corpus
 * (ServerTimingFuzzTestInputs in the test resources) holds the headers Caddy 2.6.2 logged in caddy-2.6.2/stages.log
 * and malformed ones.
 */
class ServerTimingFuzzTest {
    private static final String OWS = "[ \\t]*+";
    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]++";
    /** A quoted-string; its escape takes any character, a line's end too, hence (?s). */
    private static final String QUOTED = "\"(?s:[^\"\\\\]|\\\\.)*+\"";
    private static final String VALUE = "(?:" + TOKEN + "|" + QUOTED + ")";
    private static final Pattern PARAMETER = Pattern.compile(";" + OWS + "(" + TOKEN + ")" + OWS + "(?:=" + OWS + "(" + VALUE + "))?" + OWS);
    private static final Pattern ENTRY = Pattern.compile("(" + TOKEN + ")" + OWS + "((?:;" + OWS + TOKEN + OWS + "(?:=" + OWS + VALUE + ")?" + OWS + ")*+)");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]*+\\.?[0-9]*+");

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anyHeaderIsReadAsItsGrammarSays(byte[] input) {
        List<String> values = List.of(new String(input, StandardCharsets.UTF_8).split("\n", 4));

        ServerTiming read = ServerTiming.parse(values);

        Reference expected = new Reference(values);
        assertThat(read.metrics()).hasSizeLessThanOrEqualTo(ServerTiming.MAX_METRICS);
        assertThat(read.metrics()).isEqualTo(expected.metrics.subList(0, Math.min(expected.metrics.size(), ServerTiming.MAX_METRICS)));
        assertThat(read.skipped()).isEqualTo(expected.malformed + Math.max(0, expected.metrics.size() - ServerTiming.MAX_METRICS));
    }

    /** The reader's rules, written as the grammar: list elements split at commas outside quoted strings. */
    private static final class Reference {
        final List<ServerTiming.Metric> metrics = new ArrayList<>();
        int malformed;

        Reference(List<String> values) {
            for (String value : values) {
                for (String element : elements(value)) {
                    String entry = element.replaceAll("^[ \\t]+|[ \\t]+$", "");
                    if (!entry.isEmpty()) {
                        read(entry);
                    }
                }
            }
        }

        private void read(String entry) {
            var whole = ENTRY.matcher(entry);
            if (!whole.matches()) {
                malformed++;
                return;
            }
            double duration = Double.NaN;
            boolean hadDuration = false;
            var parameter = PARAMETER.matcher(whole.group(2));
            while (parameter.find()) {
                String name = parameter.group(1);
                String value = parameter.group(2) == null ? "" : unquoted(parameter.group(2));
                if (name.equalsIgnoreCase("dur") && !hadDuration) {
                    hadDuration = true;
                    if (value.length() > 32 || !DECIMAL.matcher(value).matches() || !value.matches(".*[0-9].*")) {
                        malformed++;
                        return;
                    }
                    duration = Double.parseDouble(value);
                }
            }
            metrics.add(new ServerTiming.Metric(whole.group(1), duration));
        }

        private static String unquoted(String value) {
            if (!value.startsWith("\"")) {
                return value;
            }
            return value.substring(1, value.length() - 1).replaceAll("(?s)\\\\(.)", "$1");
        }

        private static List<String> elements(String value) {
            List<String> elements = new ArrayList<>();
            StringBuilder element = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (quoted && c == '\\' && i + 1 < value.length()) {
                    element.append(c).append(value.charAt(++i));
                    continue;
                }
                if (c == '"') {
                    quoted = !quoted;
                } else if (c == ',' && !quoted) {
                    elements.add(element.toString());
                    element.setLength(0);
                    continue;
                }
                element.append(c);
            }
            elements.add(element.toString());
            return elements;
        }
    }
}
