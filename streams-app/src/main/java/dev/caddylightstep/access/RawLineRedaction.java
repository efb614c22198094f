package dev.caddylightstep.access;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The redaction of spans applied to a line as it was read, for its dead letter: the members of headers that carry
 * credentials (and configured ones) are removed, and the values of sensitive query parameters in the {@code uri} are
 * replaced by {@value Redaction#REDACTED}; every other byte stays as it was. A dead letter is a line the parser could
 * not take, so this reads bytes, not JSON: it finds object keys (a string followed by a colon) wherever they are,
 * whatever comes before or after them, and a value cut off by the end of the line ends there.
 *
 * <p>One pass over the line, without backtracking: linear in its length, whatever its nesting.
 */
final class RawLineRedaction {
    private final Redaction redaction;
    private final byte[] line;
    private final ByteArrayOutputStream out;
    /** Bytes before this are in {@link #out}, or were left out. */
    private int copied;
    /** Where the last member that was kept ended: a removed member takes the comma before it with it. */
    private int lastComma = -1;

    private RawLineRedaction(Redaction redaction, byte[] line) {
        this.redaction = redaction;
        this.line = line;
        this.out = new ByteArrayOutputStream(line.length);
    }

    /** The line, redacted; the same array when there was nothing to redact. */
    static byte[] of(Redaction redaction, byte[] line) {
        return new RawLineRedaction(redaction, line).redact();
    }

    private byte[] redact() {
        boolean changed = false;
        int i = 0;
        while (i < line.length) {
            byte b = line[i];
            if (b == ',') {
                lastComma = i;
                i++;
            } else if (b == '"') {
                int end = stringEnd(i);
                int colon = skipSpaces(end);
                if (colon < line.length && line[colon] == ':') {
                    String key = decoded(i + 1, Math.min(end, line.length) - 1);
                    int valueStart = skipSpaces(colon + 1);
                    if (redaction.dropsHeader(key)) {
                        i = removeMember(i, valueEnd(valueStart));
                        changed = true;
                        continue;
                    }
                    if (key.equals("uri") && valueStart < line.length && line[valueStart] == '"') {
                        int valueEnd = stringEnd(valueStart);
                        // a uri cut off by the end of the line has no closing quote
                        changed |= redactQuery(valueStart + 1, valueEnd > line.length ? line.length : valueEnd - 1);
                        lastComma = -1;
                        i = valueEnd;
                        continue;
                    }
                }
                lastComma = -1;
                i = end;
            } else {
                if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                    lastComma = -1;
                }
                i++;
            }
        }
        if (!changed) {
            return line;
        }
        out.write(line, copied, line.length - copied);
        return out.toByteArray();
    }

    /** Leaves out the member from its key to its value's end, with the comma that joined it to the member before or after it. */
    private int removeMember(int keyStart, int valueEnd) {
        int from = keyStart;
        int to = valueEnd;
        if (lastComma >= copied) {
            from = lastComma;
        } else {
            int next = skipSpaces(valueEnd);
            if (next < line.length && line[next] == ',') {
                to = next + 1;
            }
        }
        out.write(line, copied, from - copied);
        copied = to;
        lastComma = -1;
        return to;
    }

    /** Replaces the value of each sensitive parameter of the query in the uri's text [from, to), escapes and all. */
    private boolean redactQuery(int from, int to) {
        int question = indexOf((byte) '?', from, to);
        if (question < 0) {
            return false;
        }
        boolean changed = false;
        int start = question + 1;
        while (start <= to) {
            int end = indexOf((byte) '&', start, to);
            if (end < 0) {
                end = to;
            }
            int eq = indexOf((byte) '=', start, end);
            if (eq >= 0 && eq + 1 < end && redaction.isSensitiveParameter(decoded(start, eq))) {
                out.write(line, copied, eq + 1 - copied);
                out.writeBytes(Redaction.REDACTED.getBytes(StandardCharsets.US_ASCII));
                copied = end;
                changed = true;
            }
            start = end + 1;
        }
        return changed;
    }

    /** The index after the string token that starts with the quote at {@code quote}; past the end when it is cut off. */
    private int stringEnd(int quote) {
        int i = quote + 1;
        while (i < line.length) {
            if (line[i] == '\\') {
                i += 2;
            } else if (line[i] == '"') {
                return i + 1;
            } else {
                i++;
            }
        }
        return line.length + 1;
    }

    /** Where the value that starts at {@code start} ends: a string, an array or object with what it nests, or a bare word. */
    private int valueEnd(int start) {
        if (start >= line.length) {
            return line.length;
        }
        if (line[start] == '"') {
            return Math.min(stringEnd(start), line.length);
        }
        if (line[start] == '[' || line[start] == '{') {
            int depth = 0;
            int i = start;
            while (i < line.length) {
                byte b = line[i];
                if (b == '"') {
                    i = stringEnd(i);
                    continue;
                }
                if (b == '[' || b == '{') {
                    depth++;
                } else if ((b == ']' || b == '}') && --depth == 0) {
                    return i + 1;
                }
                i++;
            }
            return line.length;
        }
        int i = start;
        while (i < line.length && line[i] != ',' && line[i] != '}' && line[i] != ']') {
            i++;
        }
        return i;
    }

    private int skipSpaces(int i) {
        while (i < line.length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) {
            i++;
        }
        return i;
    }

    private int indexOf(byte wanted, int from, int to) {
        for (int i = from; i < to; i++) {
            if (line[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** The text of [from, to) with JSON's escapes undone, so that "Author\u0069zation" is not missed. */
    private String decoded(int from, int to) {
        String raw = new String(line, from, Math.max(0, to - from), StandardCharsets.UTF_8);
        if (raw.indexOf('\\') < 0) {
            return raw;
        }
        StringBuilder text = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 >= raw.length()) {
                text.append(c);
                continue;
            }
            char escaped = raw.charAt(++i);
            if (escaped == 'u' && i + 4 < raw.length()) {
                try {
                    text.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
                    i += 4;
                } catch (NumberFormatException e) {
                    text.append(escaped);
                }
            } else {
                text.append(escaped);
            }
        }
        return text.toString();
    }
}
