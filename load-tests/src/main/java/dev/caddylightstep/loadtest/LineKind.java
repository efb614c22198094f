package dev.caddylightstep.loadtest;

/** What a generated line is, so that a benchmark knows what the pipeline should make of it. */
public enum LineKind {
    /** A well-formed access-log entry: one request. */
    ACCESS(false),
    /** A well-formed line of another Caddy logger (TLS maintenance, error log, start-up). */
    NON_ACCESS(false),
    /** An access entry cut off before its end, as when Caddy dies mid-write. */
    TRUNCATED(true),
    /** Text that is not JSON: a console-format line, a Go panic. */
    NOT_JSON(true),
    /** An access entry whose request has no {@code method}. */
    MISSING_METHOD(true),
    /** An access entry with {@code "status":"200"}, a string. */
    STATUS_AS_STRING(true),
    /** An access entry with a negative {@code duration}. */
    NEGATIVE_DURATION(true);

    private final boolean malformed;

    LineKind(boolean malformed) {
        this.malformed = malformed;
    }

    /** True for the kinds a parser must reject. */
    public boolean malformed() {
        return malformed;
    }
}
