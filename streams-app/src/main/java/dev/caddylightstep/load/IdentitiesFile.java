package dev.caddylightstep.load;

import dev.caddylightstep.identity.Identity;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * identities.yaml: a list of {@code {id, group, tenant, roles: [..]}}. Read whole and validated before
 * anything is written, so that a bad file loads nothing.
 */
public final class IdentitiesFile {
    private static final Set<String> FIELDS = Set.of("id", "group", "tenant", "roles");

    private IdentitiesFile() {
    }

    public static List<Identity> read(Path file) {
        Map<String, Integer> seen = new HashMap<>();
        return YamlEntries.read(file).stream().map(entry -> {
            entry.allowOnly(FIELDS);
            Identity identity = new Identity(entry.requiredText("id"), entry.requiredText("group"),
                    entry.optionalText("tenant"), entry.textList("roles"));
            Integer before = seen.putIfAbsent(identity.id(), entry.index());
            if (before != null) {
                throw entry.error("id", "'" + identity.id() + "' is already entry " + before);
            }
            return identity;
        }).toList();
    }
}
