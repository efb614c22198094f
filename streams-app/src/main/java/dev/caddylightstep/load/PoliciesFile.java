package dev.caddylightstep.load;

import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * policies.yaml: a list of {@code {group, allow: ["METHOD /glob", ..], deny: [..], latency_slo_ms, latency_target,
 * availability_target, sample_ratio}}. Read whole and validated, every rule compiled, before anything is written.
 */
public final class PoliciesFile {
    private static final Set<String> FIELDS = Set.of("group", "allow", "deny", "latency_slo_ms", "latency_target", "availability_target",
            "sample_ratio");

    private PoliciesFile() {
    }

    public static List<Policy> read(Path file) {
        Map<String, Integer> seen = new HashMap<>();
        return YamlEntries.read(file).stream().map(entry -> {
            entry.allowOnly(FIELDS);
            String group = entry.requiredText("group");
            Integer before = seen.putIfAbsent(group, entry.index());
            if (before != null) {
                throw entry.error("group", "'" + group + "' is already entry " + before);
            }
            Long sloMs = entry.optionalPositiveLong("latency_slo_ms");
            Double latencyTarget = entry.optionalShare("latency_target", false);
            if (latencyTarget != null && sloMs == null) {
                throw entry.error("latency_target", "needs latency_slo_ms: the share of requests faster than what?");
            }
            return new Policy(group, rules(entry, "allow"), rules(entry, "deny"), sloMs, latencyTarget,
                    entry.optionalShare("availability_target", false), entry.optionalShare("sample_ratio", true));
        }).toList();
    }

    private static List<AccessRule> rules(YamlEntries.Entry entry, String field) {
        List<String> texts = entry.textList(field);
        List<AccessRule> rules = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            try {
                rules.add(AccessRule.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                throw entry.error(field + "[" + i + "]", e.getMessage());
            }
        }
        return rules;
    }
}
