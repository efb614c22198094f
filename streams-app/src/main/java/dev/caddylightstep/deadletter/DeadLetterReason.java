package dev.caddylightstep.deadletter;

/** Why a record went to a dead-letter topic; {@link #code()} is the value of the reason header. */
public enum DeadLetterReason {
    /** Longer than caddy.log.max-line-bytes. */
    LINE_TOO_LONG("line-too-long"),
    /** Empty, or not JSON at all: a syntax error, NaN, a raw control character, nesting too deep, trailing data. */
    NOT_JSON("not-json"),
    /** JSON that ends before it is complete. */
    TRUNCATED("truncated"),
    /** Bytes that are not UTF-8, even after replacing the bad sequences. */
    INVALID_UTF8("invalid-utf8"),
    /** JSON, but not an object. */
    NOT_AN_OBJECT("not-an-object"),
    /** The same field twice in one object: ambiguous, so neither value is trusted. */
    DUPLICATE_FIELD("duplicate-field"),
    /** An access entry without a field it cannot do without (request, method, uri, ts, duration, status). */
    MISSING_FIELD("missing-field"),
    /** A field of the wrong JSON type, e.g. a status given as a string. */
    WRONG_TYPE("wrong-type"),
    /** A field of the right type with an impossible value, e.g. a negative duration. */
    INVALID_VALUE("invalid-value"),
    /** Logged later than the instance's clock plus caddy.log.max-clock-skew: a host whose clock runs fast. */
    FUTURE("future"),
    /** Logged after its latency window had closed (window end + grace passed), or a partial window that came after its window was purged. */
    LATE("late"),
    /** An OTLP span, or a window's OTLP metrics, the backend rejected as malformed. */
    REJECTED_BY_BACKEND("rejected-by-backend"),
    /**
     * A record larger than the application may write (its producer's max.request.size, less room for headers), or an
     * OTLP span record larger than caddy.forward.max-export-bytes, or one the backend refused as too large on its own.
     */
    TOO_LARGE("too-large"),
    /** Anything else a single record made a stage throw (a bug, or an input no check foresaw); the stage header says where. */
    EXCEPTION("exception"),
    /**
     * A record on the spans topic that is not an OTLP ExportTraceServiceRequest, or one on the metrics topic that is not
     * an ExportMetricsServiceRequest of the metrics the application writes.
     */
    NOT_OTLP("not-otlp");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
