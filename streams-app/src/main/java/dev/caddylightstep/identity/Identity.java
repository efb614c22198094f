package dev.caddylightstep.identity;

import java.util.List;

/**
 * Who made a request: an entry of the identities table, or one of the two stand-ins for requests without one.
 *
 * @param tenant null when the identity has none
 */
public record Identity(String id, String group, String tenant, List<String> roles) {
    public static final String ANONYMOUS_GROUP = "anonymous";
    public static final String UNKNOWN_GROUP = "unknown";

    public Identity {
        roles = List.copyOf(roles);
    }

    /** A request that carried no identity at all. */
    public static Identity anonymous() {
        return new Identity("", ANONYMOUS_GROUP, null, List.of());
    }

    /** A request whose identity is not in the identities table. */
    public static Identity unknown(String id) {
        return new Identity(id, UNKNOWN_GROUP, null, List.of());
    }
}
