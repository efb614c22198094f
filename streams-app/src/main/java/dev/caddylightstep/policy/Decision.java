package dev.caddylightstep.policy;

import java.util.Locale;

/** Whether a request may pass. */
public enum Decision {
    ALLOW, DENY;

    /** The decision the edge made, read from the status it answered: 401 and 403 deny, anything else allows. */
    public static Decision observedFrom(int status) {
        return status == 401 || status == 403 ? DENY : ALLOW;
    }

    private final String code = name().toLowerCase(Locale.ROOT);

    /** The name on spans and in aggregates; made once, since every request's span carries one. */
    public String code() {
        return code;
    }
}
