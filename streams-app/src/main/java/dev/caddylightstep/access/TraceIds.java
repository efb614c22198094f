package dev.caddylightstep.access;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import java.util.HexFormat;

/**
 * Decides the trace a request's span belongs to: Caddy's own tracing ids, else the caller's W3C
 * traceparent (its tracestate kept within Trace Context's limits), else ids derived from the log line itself, so that
 * replaying a log gives the same ids.
 * Derived ids come from one XXH3 hash of the line, 128 bits: ids need to be unique and repeatable, not secret, and
 * SHA-256 cost a sixth of the parse of a line, a second XXH3 pass for the span id another 4% of parse and enrich.
 */
final class TraceIds {
    private static final HexFormat HEX = HexFormat.of();
    private static final Hasher128 LINE = Hashing.xxh3_128();
    private static final Hasher64 UPSTREAM_SPAN_ID = Hashing.xxh3_64(0x0b5e55edc0ffeeL);

    private TraceIds() {
    }

    static TraceContext resolve(byte[] line, int offset, int length, String caddyTraceId, String caddySpanId,
                                String traceparent, String tracestate) {
        HashValue128 hash = LINE.hashBytesTo128Bits(line, offset, length);
        String derivedSpanId = HEX.toHexDigits(nonZero(spanBits(hash)));

        TraceParent caller = TraceParent.parse(traceparent);
        if (isValidId(caddyTraceId, 32)) {
            // Caddy exported a span of its own for this request: ours becomes its child, never a twin
            String parent = isValidId(caddySpanId, 16) ? caddySpanId
                    : caller != null && caller.traceId.equals(caddyTraceId) ? caller.parentId : null;
            boolean sampled = caller == null || caller.sampled;
            return new TraceContext(caddyTraceId, derivedSpanId, parent, caller != null ? TraceState.limited(tracestate) : null, sampled,
                    TraceContext.Origin.CADDY_TRACING);
        }
        if (caller != null) {
            return new TraceContext(caller.traceId, derivedSpanId, caller.parentId, TraceState.limited(tracestate), caller.sampled,
                    TraceContext.Origin.TRACEPARENT);
        }
        String derivedTraceId = HEX.toHexDigits(hash.getMostSignificantBits()) + HEX.toHexDigits(nonZero(hash.getLeastSignificantBits()));
        return new TraceContext(derivedTraceId, derivedSpanId, null, null, true, TraceContext.Origin.DERIVED);
    }

    /**
     * The span id of a request's upstream call: a hash of its own span id (itself a hash of the line), so that a
     * replay gives the same id, seeded apart so that it never repeats its parent's.
     */
    static String upstreamSpanId(String spanId) {
        byte[] parent = HEX.parseHex(spanId);
        return HEX.toHexDigits(nonZero(UPSTREAM_SPAN_ID.hashBytesToLong(parent, 0, parent.length)));
    }

    /**
     * A span id from the line's hash that repeats neither half of a trace id derived from it: both halves mixed, with
     * MurmurHash3's finalizer, every bit of the result depending on every bit of the hash.
     */
    private static long spanBits(HashValue128 hash) {
        long bits = hash.getMostSignificantBits() ^ Long.rotateLeft(hash.getLeastSignificantBits(), 32) ^ 0x5ca1ab1e0ddba11L;
        bits = (bits ^ (bits >>> 33)) * 0xff51afd7ed558ccdL;
        bits = (bits ^ (bits >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return bits ^ (bits >>> 33);
    }

    /** All-zero ids are invalid in W3C Trace Context; a hash of zero (once in 2^64 lines) becomes one. */
    private static long nonZero(long bits) {
        return bits == 0 ? 1 : bits;
    }

    static boolean isValidId(String id, int hexDigits) {
        if (id == null || id.length() != hexDigits) {
            return false;
        }
        boolean nonZero = false;
        for (int i = 0; i < hexDigits; i++) {
            char c = id.charAt(i);
            if (!isLowerHex(c)) {
                return false;
            }
            nonZero |= c != '0';
        }
        return nonZero;
    }

    /** W3C Trace Context's ids and flags are lowercase hex. */
    private static boolean isLowerHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    /** A W3C Trace Context traceparent header, parsed as its specification says a receiver must. */
    private record TraceParent(String traceId, String parentId, boolean sampled) {
        static TraceParent parse(String header) {
            if (header == null) {
                return null;
            }
            // the optional white space around a field's value, spaces and tabs
            int start = TraceState.owsEnd(header, 0, header.length());
            String h = header.substring(start, TraceState.owsStart(header, start, header.length()));
            if (h.length() < 55 || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-') {
                return null;
            }
            if (!isHex(h, 0, 2) || h.startsWith("ff") || (h.startsWith("00") && h.length() != 55)
                    || (h.length() > 55 && h.charAt(55) != '-') || !isHex(h, 53, 55)) {
                return null;
            }
            String traceId = h.substring(3, 35);
            String parentId = h.substring(36, 52);
            if (!isValidId(traceId, 32) || !isValidId(parentId, 16)) {
                return null;
            }
            // sampled is the lowest bit of the flags, in their second hex digit
            return new TraceParent(traceId, parentId, (Character.digit(h.charAt(54), 16) & 1) == 1);
        }

        private static boolean isHex(String s, int from, int to) {
            for (int i = from; i < to; i++) {
                if (!isLowerHex(s.charAt(i))) {
                    return false;
                }
            }
            return true;
        }
    }
}
