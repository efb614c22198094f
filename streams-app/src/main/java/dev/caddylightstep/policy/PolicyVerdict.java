package dev.caddylightstep.policy;

import dev.caddylightstep.access.AccessEvent;

/**
 * What a group's policy expected of a request against what the edge did.
 *
 * @param expected null when the group has no policy
 * @param misfire null when the edge agreed with the policy, or there is no policy
 * @param sloMs the group's latency objective, or null
 * @param sampleRatio the group's probability of exporting a span no keep rule keeps, or null for the default
 */
public record PolicyVerdict(Decision expected, Decision observed, Misfire misfire, Long sloMs, boolean sloBreached, Double sampleRatio) {

    /** Judges a request; {@code policy} is null when its group has none. */
    public static PolicyVerdict judge(Policy policy, AccessEvent event) {
        Decision observed = Decision.observedFrom(event.status());
        if (policy == null) {
            return new PolicyVerdict(null, observed, null, null, false, null);
        }
        Decision expected = policy.decide(event.method(), event.path());
        Misfire misfire = expected == observed ? null
                : expected == Decision.DENY ? Misfire.OVER_PERMISSIVE : Misfire.OVER_RESTRICTIVE;
        Long slo = policy.latencySloMs();
        boolean breached = slo != null && event.durationNanos() > slo * 1_000_000L;
        return new PolicyVerdict(expected, observed, misfire, slo, breached, policy.sampleRatio());
    }
}
