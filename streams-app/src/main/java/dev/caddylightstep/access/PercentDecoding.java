package dev.caddylightstep.access;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Percent-decoding as URLs need it, tolerating malformed escapes (kept as they are) and non-ASCII text. */
public final class PercentDecoding {
    private PercentDecoding() {
    }

    /** A query parameter name or value, as a form encodes it: '+' is a space. */
    public static String formComponent(String s) {
        return decode(s, true);
    }

    /** One segment of a URL path: '+' is a plus. */
    public static String pathSegment(String s) {
        return decode(s, false);
    }

    private static String decode(String s, boolean plusIsSpace) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+' && plusIsSpace) {
                bytes.write(' ');
            } else if (c == '%' && i + 2 < s.length() && HexFormat.isHexDigit(s.charAt(i + 1)) && HexFormat.isHexDigit(s.charAt(i + 2))) {
                // ASCII hex digits only, as RFC 3986 has them: Character.digit would take "%٧٤" for "t"
                bytes.write(HexFormat.fromHexDigit(s.charAt(i + 1)) * 16 + HexFormat.fromHexDigit(s.charAt(i + 2)));
                i += 2;
            } else {
                int codePoint = s.codePointAt(i);
                byte[] encoded = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i += Character.charCount(codePoint) - 1;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
