package dev.caddylightstep.deploy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;

/**
 * Kafka's own authorizer (KRaft's StandardAuthorizer), deciding as it always does, that also keeps every
 * distinct decision it made: which principal asked for which operation on which resource, and whether it was
 * allowed. Loaded by the in-process broker through authorizer.class.name.
 */
public class RecordingAuthorizer extends StandardAuthorizer {
    /**
     * A set: every fetch and produce is authorized, so a list grows by thousands a second while the same few hundred
     * decisions repeat, and the tests that scan it took minutes.
     */
    static final Set<Decision> DECISIONS = ConcurrentHashMap.newKeySet();

    /**
     * One decision. {@code name} is null for the "any resource of this type" question Kafka asks of an
     * idempotent producer (Write on any topic); {@code reported} is Kafka's own flag for a denial that fails the
     * request, as opposed to one that only filters a listing.
     */
    record Decision(String principal, ResourceType type, String name, AclOperation operation, boolean allowed, boolean reported) {
    }

    @Override
    public List<AuthorizationResult> authorize(AuthorizableRequestContext context, List<Action> actions) {
        List<AuthorizationResult> results = super.authorize(context, actions);
        for (int i = 0; i < actions.size(); i++) {
            Action action = actions.get(i);
            DECISIONS.add(new Decision(context.principal().getName(), action.resourcePattern().resourceType(), action.resourcePattern().name(),
                    action.operation(), results.get(i) == AuthorizationResult.ALLOWED, action.logIfDenied()));
        }
        return results;
    }

    @Override
    public AuthorizationResult authorizeByResourceType(AuthorizableRequestContext context, AclOperation op, ResourceType type) {
        AuthorizationResult result = super.authorizeByResourceType(context, op, type);
        DECISIONS.add(new Decision(context.principal().getName(), type, null, op, result == AuthorizationResult.ALLOWED, true));
        return result;
    }
}
