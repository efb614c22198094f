package dev.caddylightstep.cli;

/** Something the user can fix: a missing file, a broker that does not answer. The message says what and where. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }
}
