package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Map;

/** The tokens of a line as Jackson's streaming parser reads them: every line {@link AsciiLineTokens} leaves to it. */
record JacksonLineTokens(JsonParser parser, Map<String, FieldName> fieldNames) implements LineTokens {
    @Override
    public JsonToken nextToken() throws IOException {
        return parser.nextToken();
    }

    @Override
    public String currentName() throws IOException {
        return parser.currentName();
    }

    @Override
    public FieldName fieldName() throws IOException {
        String name = parser.currentName();
        return name == null ? FieldName.OTHER : fieldNames.getOrDefault(name, FieldName.OTHER);
    }

    @Override
    public int currentNameLength() throws IOException {
        return parser.currentName().length();
    }

    @Override
    public String getText() throws IOException {
        return parser.getText();
    }

    @Override
    public String getRecurringText() throws IOException {
        return parser.getText();
    }

    @Override
    public CharSequence numberText() throws IOException {
        return parser.getText();
    }

    @Override
    public int getIntValue() throws IOException {
        return parser.getIntValue();
    }

    @Override
    public long getLongValue() throws IOException {
        return parser.getLongValue();
    }

    @Override
    public void skipChildren() throws IOException {
        parser.skipChildren();
    }
}
