package dev.caddylightstep.load;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The entries of a YAML file that holds a list of mappings, each with the line it starts on, and typed
 * field readers whose errors name the file, the entry and the field.
 */
final class YamlEntries {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private YamlEntries() {
    }

    /** One mapping of the list. */
    record Entry(Path file, int index, int line, JsonNode node) {

        InvalidFileException error(String field, String problem) {
            return new InvalidFileException(file + ": entry " + index + " (line " + line + ")"
                    + (field == null ? "" : ", field " + field) + ": " + problem);
        }

        void allowOnly(Set<String> fields) {
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!fields.contains(name)) {
                    throw error(name, "unknown field (allowed: " + String.join(", ", fields) + ")");
                }
            }
        }

        String requiredText(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                throw error(field, "missing");
            }
            if (!value.isTextual() && !value.isNumber()) {
                throw error(field, "expected text, got " + describe(value));
            }
            String text = value.asText().trim();
            if (text.isEmpty()) {
                throw error(field, "empty");
            }
            if (text.indexOf('\0') >= 0) {
                throw error(field, "contains a NUL character");
            }
            return text;
        }

        String optionalText(String field) {
            JsonNode value = node.get(field);
            return value == null || value.isNull() ? null : requiredText(field);
        }

        List<String> textList(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return List.of();
            }
            if (!value.isArray()) {
                throw error(field, "expected a list, got " + describe(value));
            }
            List<String> items = new ArrayList<>();
            for (int i = 0; i < value.size(); i++) {
                JsonNode item = value.get(i);
                if (!item.isTextual() || item.asText().isBlank()) {
                    throw error(field + "[" + i + "]", "expected non-empty text, got " + describe(item));
                }
                items.add(item.asText().trim());
            }
            return items;
        }

        Long optionalPositiveLong(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return null;
            }
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() <= 0) {
                throw error(field, "expected a positive whole number, got " + describe(value));
            }
            return value.asLong();
        }

        /**
         * A share strictly between 0 and 1 (a target such as 0.99), or up to 1 included when {@code oneAllowed} (a
         * ratio); null when absent.
         */
        Double optionalShare(String field, boolean oneAllowed) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return null;
            }
            double share = value.isNumber() ? value.asDouble() : Double.NaN;
            if (!(share > 0) || share > 1 || (!oneAllowed && share == 1)) {
                throw error(field, "expected a number greater than 0 and less than " + (oneAllowed ? "or equal to 1" : "1")
                        + ", got " + describe(value));
            }
            return share;
        }

        private static String describe(JsonNode value) {
            if (value.isTextual()) {
                return "'" + value.asText() + "'";
            }
            return value.isContainerNode() ? (value.isArray() ? "a list" : "a mapping") : value.toString();
        }
    }

    static List<Entry> read(Path file) {
        List<Entry> entries = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(Files.newBufferedReader(file))) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return entries;
            }
            if (first != JsonToken.START_ARRAY) {
                throw new InvalidFileException(file + ": expected a list of entries (lines starting with '- '), line "
                        + parser.currentLocation().getLineNr());
            }
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                int line = parser.currentLocation().getLineNr();
                int index = entries.size() + 1;
                if (parser.currentToken() != JsonToken.START_OBJECT) {
                    throw new InvalidFileException(file + ": entry " + index + " (line " + line + "): expected a mapping of fields");
                }
                entries.add(new Entry(file, index, line, parser.readValueAsTree()));
            }
            return entries;
        } catch (NoSuchFileException e) {
            throw new InvalidFileException(file + ": no such file");
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            int newline = message.indexOf('\n');
            throw new InvalidFileException(file + ": not valid YAML: " + (newline < 0 ? message : message.substring(0, newline)));
        }
    }
}
