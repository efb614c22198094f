package dev.caddylightstep.identity;

/** How requests meet the identities table (caddy.identity.join). */
public enum IdentityJoin {
    /** Every instance holds the whole table in memory: no repartition, for tables each instance can hold. */
    GLOBAL,
    /** Repartitioned by identity and joined where the identity's entry lives: any table size. */
    PARTITIONED
}
