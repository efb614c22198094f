package dev.caddylightstep.policy;

import java.util.List;

/**
 * What a group may do and how fast it expects answers. Deny rules win over allow rules, and a request that
 * no rule names is denied.
 *
 * @param latencySloMs null when the group has no latency objective
 */
public record Policy(String group, List<AccessRule> allow, List<AccessRule> deny, Long latencySloMs) {

    public Policy {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    public Decision decide(String method, String path) {
        for (AccessRule rule : deny) {
            if (rule.matches(method, path)) {
                return Decision.DENY;
            }
        }
        for (AccessRule rule : allow) {
            if (rule.matches(method, path)) {
                return Decision.ALLOW;
            }
        }
        return Decision.DENY;
    }
}
