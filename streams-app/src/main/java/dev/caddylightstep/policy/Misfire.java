package dev.caddylightstep.policy;

import java.util.Locale;

/** A disagreement between what a group's policy expects and what the edge did. */
public enum Misfire {
    /** The policy denies, the edge allowed. */
    OVER_PERMISSIVE,
    /** The policy allows, the edge denied. */
    OVER_RESTRICTIVE;

    private final String code = name().toLowerCase(Locale.ROOT);

    /** The name on spans and in aggregates; made once, since every request's span carries one. */
    public String code() {
        return code;
    }
}
