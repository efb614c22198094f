package dev.caddylightstep.topology;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.PolicyVerdict;

/**
 * A request with everything the pipeline learned about it: who made it, its route template, and what its
 * group's policy expected. The spans and the aggregates are made from this.
 */
public record EnrichedRequest(AccessEvent event, Identity identity, String route, PolicyVerdict verdict) {
}
