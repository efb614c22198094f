package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonToken;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The tokens of a line as Caddy's encoder writes it, read straight from its bytes: no token contexts, strings scanned
 * eight bytes at a time, names found by their bytes, strings copied as Latin-1 when they are ASCII, numbers read only
 * when asked for. It reads a strict subset of JSON and gives up ({@link NotPlain}) on anything else: UTF-8 that is not
 * well-formed, an escape of a surrogate or an escape in a string that is not ASCII, an escape or a byte outside ASCII in
 * a field name, nesting past {@link #MAX_DEPTH}, a number longer than {@link #MAX_NUMBER_CHARS} or than its type holds,
 * a value not followed by a delimiter, anything after the object. The parser then reads the line again with Jackson from
 * its first byte, so a line given up on, malformed or not, is answered as Jackson alone answers it, at the cost of one
 * pass here and one by Jackson. Not thread-safe: one for each parser.
 */
final class AsciiLineTokens implements LineTokens {
    /** Below Jackson's 32 (the parser's limit), so that Jackson alone decides on lines near it. */
    private static final int MAX_DEPTH = 30;
    /** Caddy's longest is a float64 with 17 digits and an exponent; longer numbers are Jackson's, with its limits. */
    private static final int MAX_NUMBER_CHARS = 32;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long QUOTES = ONES * '"';
    private static final long BACKSLASHES = ONES * '\\';
    private static final long SPACES = ONES * ' ';

    private final Map<String, FieldName> fieldNames;
    /** Names of up to 16 bytes, their String and field; longer ones (a few of Caddy's rarer fields) get a String each. */
    private final RememberedStrings names;
    /** Values of fields whose values recur ({@link #getRecurringText}): no field is asked of them, so the table knows no names. */
    private final RememberedStrings recurring = new RememberedStrings(Map.of());
    private final NumberText numberText = new NumberText();
    private byte[] line;
    private int pos;
    private JsonToken current;
    private boolean rootRead;
    /** Containers open, the line's object being 1. */
    private int depth;
    /** Bit d set when the container at depth d is an object, clear when an array. */
    private long objects;
    /** Whether the innermost container has had no element yet (no comma before the next). */
    private boolean first;
    private int nameStart;
    private int nameEnd;
    /** The slot of the current name once looked up, else -1. */
    private int nameSlot;
    /** The current string's content or number's text, between its quotes. */
    private int textStart;
    private int textEnd;
    private boolean escaped;
    /** Whether the current string is ASCII alone, so that its bytes are its chars. */
    private boolean ascii;

    /** @param fieldNames the names the reader reads ({@link FieldName#byName}) */
    AsciiLineTokens(Map<String, FieldName> fieldNames) {
        this.fieldNames = fieldNames;
        this.names = new RememberedStrings(fieldNames);
    }

    /** Starts on a line. */
    AsciiLineTokens reset(byte[] line) {
        this.line = line;
        pos = 0;
        current = null;
        rootRead = false;
        depth = 0;
        objects = 0;
        first = true;
        nameSlot = -1;
        nameStart = -1;
        return this;
    }

    @Override
    public JsonToken nextToken() {
        if (current == JsonToken.FIELD_NAME) {
            return current = value();
        }
        if (depth == 0) {
            skipWhitespace();
            return current = rootRead ? end() : root();
        }
        byte b = significant();
        boolean inObject = (objects & (1L << depth)) != 0;
        if (b == '}' || b == ']') {
            return current = close(b, inObject);
        }
        if (!first) {
            if (b != ',') {
                throw NotPlain.LINE;
            }
            pos++;
        }
        first = false;
        return current = inObject ? nameToken() : value();
    }

    private JsonToken root() {
        rootRead = true;
        return value();
    }

    /** Past the line's value: nothing more than spaces may follow. */
    private JsonToken end() {
        if (pos < line.length) {
            throw NotPlain.LINE;
        }
        return null;
    }

    private JsonToken close(byte b, boolean inObject) {
        if (b != (inObject ? '}' : ']')) {
            throw NotPlain.LINE;
        }
        pos++;
        depth--;
        first = false;
        return inObject ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
    }

    private JsonToken nameToken() {
        if (significant() != '"') {
            throw NotPlain.LINE;
        }
        int end = stringEnd(pos + 1);
        if (escaped || !ascii) {
            throw NotPlain.LINE;
        }
        nameStart = pos + 1;
        nameEnd = end;
        nameSlot = -1;
        pos = end + 1;
        if (significant() != ':') {
            throw NotPlain.LINE;
        }
        pos++;
        return JsonToken.FIELD_NAME;
    }

    private JsonToken value() {
        return switch (significant()) {
            case '"' -> string();
            case '{' -> open(true);
            case '[' -> open(false);
            case 't' -> literal("true", JsonToken.VALUE_TRUE);
            case 'f' -> literal("false", JsonToken.VALUE_FALSE);
            case 'n' -> literal("null", JsonToken.VALUE_NULL);
            default -> number();
        };
    }

    private JsonToken open(boolean object) {
        if (depth == MAX_DEPTH) {
            throw NotPlain.LINE;
        }
        pos++;
        depth++;
        objects = object ? objects | (1L << depth) : objects & ~(1L << depth);
        first = true;
        return object ? JsonToken.START_OBJECT : JsonToken.START_ARRAY;
    }

    private JsonToken string() {
        int end = stringEnd(pos + 1);
        textStart = pos + 1;
        textEnd = end;
        pos = end + 1;
        return JsonToken.VALUE_STRING;
    }

    /**
     * The index of the closing quote of the string whose content starts at {@code from}; sets {@link #escaped} and
     * {@link #ascii}. Eight bytes at a time up to the next byte that is not plain ASCII content.
     */
    private int stringEnd(int from) {
        boolean escapes = false;
        boolean onlyAscii = true;
        int i = from;
        while (true) {
            i = nextNotPlain(i);
            byte b = at(i);
            if (b == '"') {
                escaped = escapes;
                ascii = onlyAscii;
                return i;
            }
            if (b == '\\') {
                i = escapeEnd(i);
                escapes = true;
            } else if (b < 0) {
                i = utf8End(i);
                onlyAscii = false;
            } else {
                // a control character: Jackson refuses it
                throw NotPlain.LINE;
            }
        }
    }

    /**
     * The index of the first byte from {@code from} on that is a quote, a backslash, a control character or not ASCII;
     * the line's length when there is none. Each test is SWAR's "has a zero byte" on the eight bytes read as a long: its
     * lowest flag is always a byte that matches (a borrow only flags bytes above one that does). Control characters and
     * bytes outside ASCII are one test: a byte below a space borrows into its high bit, and one outside ASCII has it set,
     * so {@code (v - SPACES) | v} flags both without the {@code & ~v} of the plain "less than".
     */
    private int nextNotPlain(int from) {
        byte[] l = line;
        int i = from;
        for (; i <= l.length - Long.BYTES; i += Long.BYTES) {
            long v = (long) LONGS.get(l, i);
            long quotes = v ^ QUOTES;
            long backslashes = v ^ BACKSLASHES;
            long flags = ((quotes - ONES) & ~quotes | (backslashes - ONES) & ~backslashes | (v - SPACES) | v) & HIGH_BITS;
            if (flags != 0) {
                return i + (Long.numberOfTrailingZeros(flags) >>> 3);
            }
        }
        for (; i < l.length; i++) {
            byte b = l[i];
            if (b == '"' || b == '\\' || b < 0x20) {
                return i;
            }
        }
        return i;
    }

    /** Past a well-formed UTF-8 sequence of two to four bytes starting at {@code lead}; anything else is Jackson's. */
    private int utf8End(int lead) {
        int b = line[lead] & 0xff;
        int length;
        int min;
        int max = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            length = 2;
            min = 0x80;
        } else if (b >= 0xe0 && b <= 0xef) {
            length = 3;
            // no overlong form (E0 80..9F) and no surrogate (ED A0..BF)
            min = b == 0xe0 ? 0xa0 : 0x80;
            max = b == 0xed ? 0x9f : 0xbf;
        } else if (b >= 0xf0 && b <= 0xf4) {
            length = 4;
            min = b == 0xf0 ? 0x90 : 0x80;
            max = b == 0xf4 ? 0x8f : 0xbf;
        } else {
            throw NotPlain.LINE;
        }
        int second = at(lead + 1) & 0xff;
        if (second < min || second > max) {
            throw NotPlain.LINE;
        }
        for (int i = lead + 2; i < lead + length; i++) {
            if ((at(i) & 0xc0) != 0x80) {
                throw NotPlain.LINE;
            }
        }
        return lead + length;
    }

    private int escapeEnd(int backslash) {
        return switch (at(backslash + 1)) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> backslash + 2;
            case 'u' -> {
                // Go escapes <, >, & and U+2028/9 this way; a surrogate would need its pair checked, which is Jackson's job
                if (Character.isSurrogate(hexChar(backslash + 2))) {
                    throw NotPlain.LINE;
                }
                yield backslash + 6;
            }
            default -> throw NotPlain.LINE;
        };
    }

    private char hexChar(int from) {
        int c = 0;
        for (int i = from; i < from + 4; i++) {
            c = c << 4 | Character.digit(at(i), 16);
            if (c < 0) {
                throw NotPlain.LINE;
            }
        }
        return (char) c;
    }

    private JsonToken literal(String word, JsonToken token) {
        for (int i = 0; i < word.length(); i++) {
            if (at(pos + i) != word.charAt(i)) {
                throw NotPlain.LINE;
            }
        }
        pos = delimited(pos + word.length());
        return token;
    }

    /** JSON's number grammar exactly: no leading zeros, a digit on both sides of the point, an exponent with digits. */
    private JsonToken number() {
        int i = pos;
        if (at(i) == '-') {
            i++;
        }
        if (at(i) == '0') {
            i++;
        } else {
            i = digits(i);
        }
        boolean integral = true;
        if (i < line.length && line[i] == '.') {
            integral = false;
            i = digits(i + 1);
        }
        if (i < line.length && (line[i] == 'e' || line[i] == 'E')) {
            integral = false;
            i++;
            if (at(i) == '+' || at(i) == '-') {
                i++;
            }
            i = digits(i);
        }
        if (i - pos > MAX_NUMBER_CHARS) {
            throw NotPlain.LINE;
        }
        textStart = pos;
        textEnd = i;
        pos = delimited(i);
        return integral ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
    }

    /** Past one or more digits from {@code from}. */
    private int digits(int from) {
        int i = from;
        while (i < line.length && line[i] >= '0' && line[i] <= '9') {
            i++;
        }
        if (i == from) {
            throw NotPlain.LINE;
        }
        return i;
    }

    /** A scalar ends at a delimiter or the line's end, as "truex" or "01" are not two tokens. */
    private int delimited(int i) {
        if (i < line.length) {
            byte b = line[i];
            if (b != ',' && b != '}' && b != ']' && !isWhitespace(b)) {
                throw NotPlain.LINE;
            }
        }
        return i;
    }

    /**
     * The byte at pos, once past any whitespace. Caddy writes none between tokens: whitespace is looked for only when the
     * byte is a space or below (as is a byte outside ASCII, signed, which is no space).
     */
    private byte significant() {
        byte b = at(pos);
        if (b <= ' ') {
            skipWhitespace();
            b = at(pos);
        }
        return b;
    }

    private void skipWhitespace() {
        while (pos < line.length && line[pos] <= ' ' && isWhitespace(line[pos])) {
            pos++;
        }
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /** The byte at i; a line that ends before its value does is Jackson's to report. */
    private byte at(int i) {
        if (i >= line.length) {
            throw NotPlain.LINE;
        }
        return line[i];
    }

    @Override
    public String currentName() {
        // null before the line's first name, as Jackson's
        if (nameStart < 0) {
            return null;
        }
        return isRemembered() ? names.string(nameSlot()) : longName();
    }

    @Override
    public FieldName fieldName() {
        if (nameStart < 0) {
            return FieldName.OTHER;
        }
        return isRemembered() ? names.field(nameSlot()) : fieldNames.getOrDefault(longName(), FieldName.OTHER);
    }

    /** A name's bytes are its chars: names with an escape or a byte outside ASCII are Jackson's. */
    @Override
    public int currentNameLength() {
        return nameEnd - nameStart;
    }

    private boolean isRemembered() {
        return nameEnd - nameStart <= RememberedStrings.MAX_LENGTH;
    }

    private String longName() {
        return new String(line, nameStart, nameEnd - nameStart, StandardCharsets.ISO_8859_1);
    }

    private int nameSlot() {
        if (nameSlot < 0) {
            nameSlot = names.slot(line, nameStart, nameEnd);
        }
        return nameSlot;
    }

    @Override
    public String getText() {
        if (current == JsonToken.FIELD_NAME) {
            return currentName();
        }
        if (current == JsonToken.VALUE_STRING && escaped) {
            if (!ascii) {
                throw NotPlain.LINE;
            }
            return unescaped();
        }
        if (current == JsonToken.VALUE_STRING && !ascii) {
            return new String(line, textStart, textEnd - textStart, StandardCharsets.UTF_8);
        }
        if (current == JsonToken.VALUE_STRING || current == JsonToken.VALUE_NUMBER_INT || current == JsonToken.VALUE_NUMBER_FLOAT) {
            return new String(line, textStart, textEnd - textStart, StandardCharsets.ISO_8859_1);
        }
        return current == null ? null : current.asString();
    }

    /** Plain ASCII strings of up to 16 bytes from the table of those seen, the rest as {@link #getText()} gives them. */
    @Override
    public String getRecurringText() {
        if (current == JsonToken.VALUE_STRING && !escaped && ascii && textEnd - textStart <= RememberedStrings.MAX_LENGTH) {
            return recurring.string(recurring.slot(line, textStart, textEnd));
        }
        return getText();
    }

    @Override
    public CharSequence numberText() {
        if (current != JsonToken.VALUE_NUMBER_INT && current != JsonToken.VALUE_NUMBER_FLOAT) {
            return getText();
        }
        return numberText.at(line, textStart, textEnd);
    }

    private String unescaped() {
        char[] chars = new char[textEnd - textStart];
        int n = 0;
        int i = textStart;
        while (i < textEnd) {
            byte b = line[i];
            if (b != '\\') {
                chars[n++] = (char) b;
                i++;
                continue;
            }
            byte e = line[i + 1];
            chars[n++] = switch (e) {
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case 'u' -> hexChar(i + 2);
                default -> (char) e;
            };
            i += e == 'u' ? 6 : 2;
        }
        return new String(chars, 0, n);
    }

    /** An int of at most nine digits; longer ones, in range or not, are Jackson's to read or refuse. */
    @Override
    public int getIntValue() {
        return (int) integer(9);
    }

    @Override
    public long getLongValue() {
        return integer(18);
    }

    private long integer(int maxDigits) {
        if (current != JsonToken.VALUE_NUMBER_INT) {
            throw NotPlain.LINE;
        }
        boolean negative = line[textStart] == '-';
        int from = negative ? textStart + 1 : textStart;
        if (textEnd - from > maxDigits) {
            throw NotPlain.LINE;
        }
        long value = 0;
        for (int i = from; i < textEnd; i++) {
            value = value * 10 + (line[i] - '0');
        }
        return negative ? -value : value;
    }

    @Override
    public void skipChildren() {
        if (current != JsonToken.START_OBJECT && current != JsonToken.START_ARRAY) {
            return;
        }
        if (current == JsonToken.START_ARRAY && skippedStrings()) {
            return;
        }
        int outside = depth - 1;
        while (depth > outside) {
            nextToken();
        }
    }

    /**
     * Past an array of strings with nothing between them but commas, as Caddy writes a header's values (most of a line's
     * bytes, and most of them in headers no stage reads), in one loop rather than a token at a time. False, having moved
     * nothing, at anything else, which the tokens then read; a string is scanned exactly as they scan it. An array that
     * holds something else after its strings has them scanned twice, and no more.
     */
    private boolean skippedStrings() {
        byte[] l = line;
        int i = pos;
        if (i < l.length && l[i] == ']') {
            return closedArray(i);
        }
        while (i < l.length && l[i] == '"') {
            i = stringEnd(i + 1) + 1;
            if (i >= l.length) {
                return false;
            }
            if (l[i] == ']') {
                return closedArray(i);
            }
            if (l[i] != ',') {
                return false;
            }
            i++;
        }
        return false;
    }

    private boolean closedArray(int bracket) {
        pos = bracket + 1;
        depth--;
        first = false;
        current = JsonToken.END_ARRAY;
        return true;
    }

    /** What this reader gives up on: Jackson's to read. Thrown often enough by hostile lines to carry no stack trace. */
    static final class NotPlain extends RuntimeException {
        static final NotPlain LINE = new NotPlain();

        private NotPlain() {
            super("not a plain ASCII JSON line", null, false, false);
        }
    }
}
