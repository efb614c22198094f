package dev.caddylightstep.loadtest;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a generator has produced so far, from which a benchmark computes the results it expects.
 * The per-status, per-user and feature counts cover valid access lines only.
 *
 * @param linesByKind every line, by kind (every kind present, zeros included)
 * @param accessByStatus status as logged: 0 is Caddy's "nothing written", which clients receive as 200
 * @param accessByUser authenticated requests per {@link BasicAuthUsers#KNOWN} user (all present)
 * @param anonymous requests without credentials
 * @param unknownUser requests with credentials of a user basicauth does not know (all 401)
 * @param withTraceparent requests carrying a W3C traceparent header
 * @param overTls requests over HTTPS (with a {@code tls} object)
 */
public record GeneratedCounts(
        Map<LineKind, Long> linesByKind,
        Map<Integer, Long> accessByStatus,
        Map<String, Long> accessByUser,
        long anonymous,
        long unknownUser,
        long withTraceparent,
        long overTls) {

    /** Copies the maps, keeping their order: kinds as declared, statuses ascending, users as listed. */
    public GeneratedCounts {
        linesByKind = Collections.unmodifiableMap(new EnumMap<>(linesByKind));
        accessByStatus = Collections.unmodifiableMap(new TreeMap<>(accessByStatus));
        accessByUser = Collections.unmodifiableMap(new LinkedHashMap<>(accessByUser));
    }

    public long lines() {
        return linesByKind.values().stream().mapToLong(Long::longValue).sum();
    }

    public long accessLines() {
        return linesByKind.get(LineKind.ACCESS);
    }

    public long nonAccessLines() {
        return linesByKind.get(LineKind.NON_ACCESS);
    }

    public long malformedLines() {
        return linesByKind.entrySet().stream().filter(e -> e.getKey().malformed()).mapToLong(Map.Entry::getValue).sum();
    }
}
