package dev.caddylightstep.testing.browser;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A page's DOM as Chromium serialized it ({@link HeadlessChromium#dumpDom}), read with the few
 * patterns a page test needs; the serializer's output is regular enough that no HTML parser is needed.
 */
public record DumpedDom(String html) {

    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final Pattern ATTRIBUTE_VALUE = Pattern.compile("=\"[^\"]*\"");

    /**
     * The serialized {@code <tr>} holding a {@code <td class="cellClass …">} whose text is exactly
     * {@code text}; text nodes are always escaped, so data that looks like markup is found as itself.
     */
    public Optional<String> rowWithCell(String cellClass, String text) {
        String cell = "<td class=\"" + cellClass;
        for (int at = html.indexOf(cell); at >= 0; at = html.indexOf(cell, at + 1)) {
            int start = html.lastIndexOf("<tr", at);
            int end = html.indexOf("</tr>", at);
            if (start < 0 || end < 0) {
                continue;
            }
            String row = html.substring(start, end + "</tr>".length());
            if (cellTexts(row, cellClass).contains(text)) {
                return Optional.of(row);
            }
        }
        return Optional.empty();
    }

    /** The text of each {@code <td>} whose first class is {@code cellClass}, in document order. */
    public static List<String> cellTexts(String fragment, String cellClass) {
        Pattern cell = Pattern.compile("<td class=\"" + Pattern.quote(cellClass) + "(?: [^\"]*)?\"[^>]*>(.*?)</td>",
                Pattern.DOTALL);
        List<String> texts = new ArrayList<>();
        Matcher matcher = cell.matcher(fragment);
        while (matcher.find()) {
            texts.add(text(matcher.group(1)));
        }
        return texts;
    }

    /** The text of the first such cell; fails the test if the fragment has none. */
    public static String cellText(String fragment, String cellClass) {
        List<String> texts = cellTexts(fragment, cellClass);
        if (texts.isEmpty()) {
            throw new AssertionError("no <td class=\"" + cellClass + "\"> in " + fragment);
        }
        return texts.get(0);
    }

    /** Every value of {@code attribute} on elements whose serialized start tag begins with {@code tagStart}. */
    public List<String> attributeValues(String tagStart, String attribute) {
        Pattern tag = Pattern.compile(Pattern.quote(tagStart) + "[^>]*?\\s" + Pattern.quote(attribute) + "=\"([^\"]*)\"");
        List<String> values = new ArrayList<>();
        Matcher matcher = tag.matcher(html);
        while (matcher.find()) {
            values.add(unescape(matcher.group(1)));
        }
        return values;
    }

    /**
     * The start tags of every element named {@code name}, attribute values blanked first: a value may
     * hold text that looks like a tag, an element cannot hide there.
     */
    public List<String> startTags(String name) {
        String markupOnly = ATTRIBUTE_VALUE.matcher(html).replaceAll("=\"\"");
        Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + "[\\s>/]", Pattern.CASE_INSENSITIVE)
                .matcher(markupOnly);
        List<String> tags = new ArrayList<>();
        while (matcher.find()) {
            int end = markupOnly.indexOf('>', matcher.start());
            tags.add(markupOnly.substring(matcher.start(), end < 0 ? markupOnly.length() : end + 1));
        }
        return tags;
    }

    /** The document's text content between {@code <body>} tags, as a person would read it. */
    public String bodyText() {
        int start = html.indexOf("<body");
        return text(start < 0 ? html : html.substring(start));
    }

    private static String text(String fragment) {
        return unescape(TAG.matcher(fragment).replaceAll(""));
    }

    private static String unescape(String escaped) {
        return escaped
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&nbsp;", "\u00a0")
                .replace("&amp;", "&");
    }
}
