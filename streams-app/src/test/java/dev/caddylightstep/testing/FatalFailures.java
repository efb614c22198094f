package dev.caddylightstep.testing;

import dev.caddylightstep.run.FatalFailure;

/** What a test's application does when a role fails for good: nothing it asserts can hold any more, so the fork ends, saying why. */
public final class FatalFailures {
    public static final FatalFailure END_THE_FORK = (reason, cause) -> {
        System.err.println("a test's application failed for good: " + reason);
        cause.printStackTrace();
        Runtime.getRuntime().halt(1);
    };

    private FatalFailures() {
    }
}
