package dev.caddylightstep.policy;

import java.util.List;

/**
 * What a group may do, how fast it expects answers and how much of it to export. Deny rules win over allow rules, and a
 * request that no rule names is denied.
 *
 * @param latencySloMs       null when the group has no latency objective
 * @param latencyTarget      the share of requests that should be faster than latencySloMs (its latency SLO), or null
 * @param availabilityTarget the share of requests that should not be 5xx (its availability SLO), or null
 * @param sampleRatio        the probability of exporting a span no keep rule keeps, or null for caddy.sample.ratio
 */
public record Policy(String group, List<AccessRule> allow, List<AccessRule> deny, Long latencySloMs, Double latencyTarget,
                     Double availabilityTarget, Double sampleRatio) {

    /** A policy of rules and a latency objective, with no SLO targets and the default sampling. */
    public static Policy of(String group, List<AccessRule> allow, List<AccessRule> deny, Long latencySloMs) {
        return new Policy(group, allow, deny, latencySloMs, null, null, null);
    }

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
