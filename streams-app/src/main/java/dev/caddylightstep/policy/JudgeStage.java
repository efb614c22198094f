package dev.caddylightstep.policy;

import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.identity.IdentifiedRequest;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.policy.EnrichedRequest;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Stage {@code judge}: each request meets its group's policy (a global table: policies are few and every
 * task needs all of them) and its route template; the result is the {@link EnrichedRequest}.
 */
public final class JudgeStage {
    private JudgeStage() {
    }

    public static <K> KStream<K, EnrichedRequest> apply(KStream<K, IdentifiedRequest> requests,
                                                        GlobalKTable<String, Policy> policies, RouteTemplates routes) {
        return requests.leftJoin(policies,
                (identity, request) -> request.identity().group(),
                (request, policy) -> RecordFailure.guard("judge", () -> new EnrichedRequest(request.event(), request.identity(),
                        routes.templateOf(request.event().path()), PolicyVerdict.judge(policy, request.event()))),
                Named.as("judge"));
    }
}
