package dev.caddylightstep.loadtest;

import java.util.List;

/**
 * The users of the generated site: the {@link #KNOWN} ones pass Caddy's basicauth and appear as {@code user_id};
 * the {@link #UNKNOWN} ones are refused (401, empty {@code user_id}). A benchmark puts the known ones into groups
 * in its identities file; the generator itself knows nothing of groups.
 */
public final class BasicAuthUsers {
    /** In falling order of traffic: alice sends the most requests, judy the fewest. */
    public static final List<String> KNOWN =
            List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy");
    public static final List<String> UNKNOWN = List.of("mallory", "trudy", "oscar", "admin", "root", "test");

    private BasicAuthUsers() {
    }
}
