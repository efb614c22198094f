package dev.caddylightstep.policy;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.PolicyVerdict;

/**
 * A request with everything the pipeline learned about it: who made it, its route template, and what its
 * group's policy expected. The spans and the aggregates are made from this.
 *
 * @param route the route template ({@code http.route}), or null when the request has none: no template could name it,
 *              or its group's window already holds caddy.window.max-routes others
 */
public record EnrichedRequest(AccessEvent event, Identity identity, String route, PolicyVerdict verdict) {

    /** The same request, counted under no route of its own. */
    public EnrichedRequest withoutRoute() {
        return new EnrichedRequest(event, identity, null, verdict);
    }
}
