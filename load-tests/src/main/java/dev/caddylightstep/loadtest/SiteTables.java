package dev.caddylightstep.loadtest;

import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.AccessRule;
import dev.caddylightstep.policy.Policy;
import java.util.ArrayList;
import java.util.List;

/**
 * The identities and policies a benchmark loads for the generated site: the {@link BasicAuthUsers#KNOWN} users in
 * three groups (all but the last, who stays out of the table so that the "unknown" path is exercised too), and a
 * policy per group plus one for anonymous requests, written against the generator's routes.
 */
public final class SiteTables {
    private static final List<String> GROUPS = List.of("engineering", "sales", "support");

    private SiteTables() {
    }

    public static List<Identity> identities() {
        List<String> users = BasicAuthUsers.KNOWN;
        List<Identity> identities = new ArrayList<>();
        for (int i = 0; i < users.size() - 1; i++) {
            String group = GROUPS.get(i % GROUPS.size());
            identities.add(new Identity(users.get(i), group, i % 2 == 0 ? "acme" : "globex", List.of("member", group)));
        }
        return identities;
    }

    public static List<String> groups() {
        return GROUPS;
    }

    /** The users {@link #identities()} puts in a group. */
    public static List<String> usersOf(String group) {
        return identities().stream().filter(identity -> identity.group().equals(group)).map(Identity::id).toList();
    }

    public static List<Policy> policies() {
        return List.of(
                policy("engineering", 1_000, List.of("* /api/**", "GET /admin/**", "GET /public/**"),
                        List.of("DELETE /api/orders/**")),
                policy("sales", 800, List.of("GET /api/**", "POST /api/orders", "PATCH /api/users/*", "GET /public/**"),
                        List.of("* /admin/**", "GET /api/reports/**")),
                policy("support", 300, List.of("GET /api/users/*", "GET /api/orders/*/items", "GET /api/search", "GET /public/**"),
                        List.of("* /admin/**")),
                anonymous());
    }

    /** Eleven rules: the longest policy, and the one most requests without credentials meet. */
    public static Policy anonymous() {
        return policy(Identity.ANONYMOUS_GROUP, 250,
                List.of("GET /health", "GET /public/**", "HEAD /public/**", "OPTIONS /public/**", "GET /static/**",
                        "GET /old/**", "GET /blocked/**", "GET /nothing/**", "GET /new/**"),
                List.of("* /api/**", "* /admin/**"));
    }

    private static Policy policy(String group, long sloMs, List<String> allow, List<String> deny) {
        return Policy.of(group, allow.stream().map(AccessRule::parse).toList(), deny.stream().map(AccessRule::parse).toList(), sloMs);
    }
}
