package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The tokens of one line as {@link CaddyLineReader} reads them, by Jackson's names and with its meaning: from
 * {@link AsciiLineTokens} for the lines Caddy writes, from Jackson's parser ({@link JacksonLineTokens}) for the others.
 */
interface LineTokens {
    /** The next token, or null past the end of the line. */
    JsonToken nextToken() throws IOException;

    /** The name of the field whose name or value is the current token. */
    String currentName() throws IOException;

    /** {@link #currentName()} as one of the names the reader reads, or {@link FieldName#OTHER}. */
    FieldName fieldName() throws IOException;

    /** The length in chars of {@link #currentName()}, which a source that reads bytes knows without making the String. */
    int currentNameLength() throws IOException;

    /** The current string's value, or a number's text as the line wrote it. */
    String getText() throws IOException;

    /**
     * {@link #getText()} for a field whose values recur from line to line (a method, a protocol, a host), which a source
     * that reads bytes may give as the same String each time the same bytes come, rather than make one for each line.
     */
    String getRecurringText() throws IOException;

    /**
     * The current number's text as {@link #getText()} gives it, which may be a view of the line's bytes rather than a
     * String: to be read before the next token, and not kept.
     */
    CharSequence numberText() throws IOException;

    int getIntValue() throws IOException;

    long getLongValue() throws IOException;

    /** Past the end of the object or array the current token opens; nothing for any other token. */
    void skipChildren() throws IOException;
}
