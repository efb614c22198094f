package dev.caddylightstep.policy;

import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.identity.IdentifiedRequest;
import dev.caddylightstep.route.RouteTemplates;

/**
 * Stage {@code judge}: each request meets its group's policy (a global table: policies are few and every
 * task needs all of them) and its route template; the result is the {@link EnrichedRequest}.
 */
public final class JudgeStage {
    private JudgeStage() {
    }

    /** The request with its route template and what its group's policy (null when the group has none) says of it. */
    public static EnrichedRequest judge(IdentifiedRequest request, Policy policy, RouteTemplates routes) {
        return RecordFailure.guard("judge", () -> new EnrichedRequest(request.event(), request.identity(),
                routes.templateOf(request.event().path()), PolicyVerdict.judge(policy, request.event())));
    }
}
