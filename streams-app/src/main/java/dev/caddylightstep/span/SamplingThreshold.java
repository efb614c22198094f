package dev.caddylightstep.span;

import dev.caddylightstep.access.TraceState;
import java.util.HexFormat;

/**
 * OpenTelemetry's consistent probability sampling threshold: a span is kept when its trace's randomness (the explicit
 * {@code rv} of its tracestate, else its trace id's lower 56 bits) is at least the threshold, so that every service that
 * samples a trace at the same probability keeps the same traces; written to tracestate as {@code ot=th:HEX}, from which a
 * backend computes the span's adjusted count.
 *
 * @param value the rejection threshold, 0 (keep all) to 2^56 (keep none)
 */
public record SamplingThreshold(long value) {
    static final long MAX = 1L << 56;
    /** Probability 1: what a span kept by a rule carries, adjusted count 1. */
    public static final SamplingThreshold ALWAYS = new SamplingThreshold(0);

    /**
     * The threshold of a probability, to four hex digits as OpenTelemetry's samplers write it by default (10% is
     * {@code th:e666}): a double has 53 bits, so the low digits of a 56-bit threshold computed from one are noise. A
     * probability too small for four digits keeps all fourteen.
     */
    public static SamplingThreshold ofProbability(double probability) {
        if (probability >= 1) {
            return ALWAYS;
        }
        if (probability <= 0) {
            return new SamplingThreshold(MAX);
        }
        long fourDigits = Math.round((1 - probability) * (1 << 16));
        if (fourDigits < 1 << 16) {
            return new SamplingThreshold(fourDigits << 40);
        }
        return new SamplingThreshold(Math.min(MAX - 1, Math.round((1 - probability) * MAX)));
    }

    /**
     * Whether a trace is kept: its randomness against the threshold. That is the explicit randomness value of the
     * tracestate's {@code ot} entry ({@code rv}) when it has one, as every OpenTelemetry sampler of the trace takes it,
     * else the trace id's lower 56 bits (its last 14 hex digits).
     *
     * @param traceState the incoming tracestate, within Trace Context's limits ({@link TraceState}), or null
     */
    public boolean keeps(String traceIdHex, String traceState) {
        long explicit = explicitRandomness(traceState);
        return (explicit >= 0 ? explicit : Long.parseUnsignedLong(traceIdHex.substring(traceIdHex.length() - 14), 16)) >= value;
    }

    /**
     * The {@code rv} of the tracestate's {@code ot} entry: 14 hex digits (lowercase, as OpenTelemetry's tracestate handling
     * writes them; the Collector's samplers read either case); -1 for none, or for one of another form, with which the
     * trace id decides.
     */
    static long explicitRandomness(String traceState) {
        if (traceState == null) {
            return -1;
        }
        // within the limits, members have no white space around them
        for (String member : traceState.split(",")) {
            if (member.startsWith("ot=")) {
                for (String field : member.substring(3).split(";")) {
                    if (field.startsWith("rv:") && field.length() == 3 + 14 && field.chars().skip(3).allMatch(HexFormat::isHexDigit)) {
                        return HexFormat.fromHexDigitsToLong(field, 3, field.length());
                    }
                }
                return -1;
            }
        }
        return -1;
    }

    /** The th value: 14 hex digits with the trailing zeros left out, "0" for probability 1. */
    public String encoded() {
        if (value == 0) {
            return "0";
        }
        String hex = String.format("%014x", value);
        int end = hex.length();
        while (hex.charAt(end - 1) == '0') {
            end--;
        }
        return hex.substring(0, end);
    }

    /**
     * The incoming W3C tracestate with this threshold in its {@code ot} entry: the entry is written first (the one this
     * hop changed), any other of its sub-keys ({@code rv}...) kept, every other vendor's entry kept as it came, within
     * Trace Context's limits ({@link TraceState}).
     */
    public String inTraceState(String incoming) {
        StringBuilder ot = new StringBuilder("ot=th:").append(encoded());
        StringBuilder others = new StringBuilder();
        if (incoming != null) {
            for (String entry : incoming.split(",")) {
                String trimmed = entry.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                if (trimmed.startsWith("ot=")) {
                    for (String field : trimmed.substring(3).split(";")) {
                        if (!field.isEmpty() && !field.startsWith("th:")) {
                            ot.append(';').append(field);
                        }
                    }
                } else {
                    others.append(',').append(trimmed);
                }
            }
        }
        // with its entry added, the tracestate may be one member or a few characters over the limits
        return TraceState.limited(ot.append(others).toString());
    }
}
