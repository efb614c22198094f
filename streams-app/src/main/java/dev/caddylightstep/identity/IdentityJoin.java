package dev.caddylightstep.identity;

import dev.caddylightstep.config.Settings;
import java.util.Locale;

/** How requests meet the identities table (caddy.identity.join). */
public enum IdentityJoin {
    /** Every instance holds the whole table in memory: no repartition, for tables each instance can hold. */
    GLOBAL,
    /** Repartitioned by identity and joined where the identity's entry lives: any table size. */
    PARTITIONED;

    /** caddy.identity.join. */
    public static IdentityJoin from(Settings s) {
        return valueOf(s.choice("caddy.identity.join", "global", "partitioned").toUpperCase(Locale.ROOT));
    }
}
