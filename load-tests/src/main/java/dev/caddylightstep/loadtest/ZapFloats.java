package dev.caddylightstep.loadtest;

/**
 * Writes {@code ts} and {@code duration} as Caddy 2.6.2's logger (zap) does: seconds as a float64, printed by
 * Go's {@code strconv.AppendFloat(f, 'f', -1, 64)}, the shortest decimal that reads back as the same double.
 * That is why real timestamps have 7 decimals, sometimes fewer, and never trailing zeros.
 */
final class ZapFloats {
    private static final long[] POWERS_OF_TEN = {
        1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L};
    /** With more fraction bits than this the exact arithmetic below would overflow a long. */
    private static final int MAX_FRACTION_BITS = 32;

    private ZapFloats() {
    }

    /** zap's epoch time encoder: {@code float64(t.UnixNano()) / float64(time.Second)}. */
    static void appendEpochSeconds(LineBuffer out, long epochNanos) {
        appendShortest(out, (double) epochNanos / 1e9);
    }

    /**
     * The shortest 'f' digits of a positive double of at least 2^20 (about 12 days after the epoch), the
     * range of every timestamp; found with exact integer arithmetic on the double's bits.
     */
    static void appendShortest(LineBuffer out, double value) {
        long bits = Double.doubleToRawLongBits(value);
        int biasedExponent = (int) (bits >>> 52) & 0x7FF;
        if (value < 0 || biasedExponent == 0x7FF || biasedExponent == 0) {
            throw new IllegalArgumentException("not a positive finite timestamp: " + value);
        }
        long mantissa = (bits & 0xF_FFFF_FFFF_FFFFL) | 0x10_0000_0000_0000L;
        int fractionBits = 1075 - biasedExponent;
        if (fractionBits <= 0) {
            out.appendDecimal(mantissa << -fractionBits);
            return;
        }
        if (fractionBits > MAX_FRACTION_BITS) {
            throw new IllegalArgumentException("timestamp too small for this format: " + value);
        }
        long integer = mantissa >>> fractionBits;
        long fraction = mantissa & ((1L << fractionBits) - 1);
        boolean evenMantissa = (mantissa & 1) == 0;
        for (int digits = 0; digits < POWERS_OF_TEN.length; digits++) {
            long scale = POWERS_OF_TEN[digits];
            long scaled = fraction * scale;
            long candidate = nearest(scaled, fractionBits);
            // |candidate / 10^k - fraction / 2^b| against half an ulp (2^-(b+1)), everything times 10^k * 2^(b+1)
            long distance = Math.abs((candidate << (fractionBits + 1)) - (scaled << 1));
            if (distance < scale || (distance == scale && evenMantissa)) {
                appendFixed(out, integer, candidate, digits);
                return;
            }
        }
        throw new AssertionError("nine decimals always identify a double of this size: " + value);
    }

    /** zap's seconds duration encoder: {@code float64(d) / float64(time.Second)}. */
    static void appendSeconds(LineBuffer out, long nanos) {
        if (nanos < 0) {
            out.append('-');
            nanos = -nanos;
        }
        // below 2^23 s a double resolves nanoseconds, so the nanosecond digits are already the shortest
        long whole = nanos / 1_000_000_000L;
        long fraction = nanos % 1_000_000_000L;
        out.appendDecimal(whole);
        if (fraction == 0) {
            return;
        }
        int digits = 9;
        while (fraction % 10 == 0) {
            fraction /= 10;
            digits--;
        }
        out.append('.').appendZeroPadded(fraction, digits);
    }

    private static long nearest(long scaled, int fractionBits) {
        long candidate = scaled >>> fractionBits;
        long remainder = scaled & ((1L << fractionBits) - 1);
        long half = 1L << (fractionBits - 1);
        if (remainder > half || (remainder == half && (candidate & 1) == 1)) {
            candidate++;
        }
        return candidate;
    }

    private static void appendFixed(LineBuffer out, long integer, long fractionDigits, int digits) {
        if (digits == 0) {
            out.appendDecimal(integer + fractionDigits);
            return;
        }
        out.appendDecimal(integer).append('.').appendZeroPadded(fractionDigits, digits);
    }
}
