package dev.caddylightstep.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The metric names a PromQL expression selects: what is left once label matchers, strings, groupings and functions are set aside. */
final class PromQl {
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPINGS = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern EQUALS = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"");

    private PromQl() {
    }

    /** A metric with a label that must have a value: name{label="value"}. */
    record Matcher(String metric, String label, String value) {
        /** How a sample of it starts to appear in the text exposition: name{... label="value" ...}. */
        boolean matches(String sampleLine) {
            return sampleLine.startsWith(metric + "{") && sampleLine.contains(label + "=\"" + value + "\"");
        }
    }

    /** The equality label matchers of the selectors in an expression (=~, != and !~ are not checked). */
    static List<Matcher> equalityMatchers(String expr) {
        List<Matcher> found = new ArrayList<>();
        java.util.regex.Matcher selector = SELECTOR.matcher(expr);
        while (selector.find()) {
            java.util.regex.Matcher eq = EQUALS.matcher(selector.group(2));
            // label="value" only: in !=, =~ and !~ no name stands right before the = and the quote
            while (eq.find()) {
                found.add(new Matcher(selector.group(1), eq.group(1), eq.group(2)));
            }
        }
        return found;
    }

    static List<String> metricNames(String expr) {
        String rest = STRINGS.matcher(expr).replaceAll(" ");
        rest = MATCHERS.matcher(rest).replaceAll(" ");
        rest = RANGES.matcher(rest).replaceAll(" ");
        rest = GROUPINGS.matcher(rest).replaceAll(" ");
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = IDENTIFIER.matcher(rest);
        while (m.find()) {
            boolean function = m.group(2) != null;
            String name = m.group(1);
            if (!function && !KEYWORDS.contains(name) && !names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
