package dev.caddylightstep.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.config.ConfigKeys;
import dev.caddylightstep.testing.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's tables of topics and of settings follow from their declarations: the catalogue of topics and ConfigKeys. */
class TopicTableTest {
    private static final Pattern SETTING = Pattern.compile("`(caddy\\.[a-z0-9.-]+|\\.[a-z0-9-]+)`");

    private static String readme() throws IOException {
        return Files.readString(Repository.root().resolve("README.md"), StandardCharsets.UTF_8);
    }

    private static String cleanup(TopicSpec topic) {
        String retention = topic.retention() == null ? "" : topic.retention().toDays() + " day" + (topic.retention().toDays() == 1 ? "" : "s");
        return switch (topic.cleanup()) {
            case COMPACT -> "compact";
            case COMPACT_AND_DELETE -> "compact, delete " + retention;
            case DELETE -> "delete, " + retention + (topic.logAppendTime() ? " from when the record was written" : "");
        };
    }

    @Test
    void theReadmesTopicTableIsTheCatalogues() throws IOException {
        List<String> rows = new ArrayList<>(List.of("| topic | key | value | cleanup |", "|---|---|---|---|"));
        for (TopicSpec topic : TopicSpec.values()) {
            rows.add("| `" + topic.defaultName() + "` | " + topic.key() + " | " + topic.value() + " | " + cleanup(topic) + " |");
        }
        assertThat(readme()).contains(String.join("\n", rows) + "\n");
    }

    /** A row names its keys in full, or by their last part after a full one: `caddy.window.size`, `.grace`, `.retention`. */
    @Test
    void theReadmeDocumentsEverySettingAndNoOther() throws IOException {
        Set<String> documented = new LinkedHashSet<>();
        String readme = readme();
        String settings = readme.substring(readme.indexOf("## Configuration"), readme.indexOf("## Topics and formats"));
        for (String row : settings.lines().filter(line -> line.startsWith("| `caddy.")).toList()) {
            String firstCell = row.substring(2, row.indexOf(" |", 2));
            String parent = null;
            Matcher m = SETTING.matcher(firstCell);
            while (m.find()) {
                String key = m.group(1);
                if (key.startsWith(".")) {
                    key = parent + key;
                } else {
                    parent = key.substring(0, key.lastIndexOf('.'));
                }
                documented.add(key);
            }
        }
        Set<String> declared = new LinkedHashSet<>();
        ConfigKeys.all().forEach(declared::add);
        assertThat(documented).containsExactlyInAnyOrderElementsOf(declared);
    }
}
