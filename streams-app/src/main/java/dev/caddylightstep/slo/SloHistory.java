package dev.caddylightstep.slo;

import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.util.Arrays;

/**
 * What one group's closed windows left for its objectives: the requests and the bad ones of each slot of time, fine
 * (a window, at least a minute) for six hours and by the hour for three days, so that a burn rate over any period is a
 * sum of at most a few hundred slots and the state stays a few kilobytes however long the windows run; and what the
 * last evaluation found, for the alerts' state and for /metrics. Mutable: it is read, changed and stored once per close.
 */
public final class SloHistory {
    static final long HOUR_MS = 3_600_000L;
    private static final int HOUR_SLOTS = (int) (Period.THREE_DAYS.millis / HOUR_MS) + 2;
    private static final int SLOS = Slo.values().length;
    private static final int PERIODS = Period.values().length;

    final long slotMs;
    final Slots fine;
    final Slots hourly;
    /** Bit (slo × 2 + severity) set while that alert fires. */
    int firing;
    long evaluatedAtMs = Long.MIN_VALUE;
    /** By slo: the target last evaluated against, NaN when the policy sets none. */
    final double[] targets = {Double.NaN, Double.NaN};
    /** By slo, then by period. */
    final double[][] burnRates = new double[SLOS][PERIODS];
    final double[] budgetRemaining = new double[SLOS];
    /** The latest closed window, as /metrics shows it. */
    LatestWindow latest;

    /** The figures of a group's latest closed window. */
    public record LatestWindow(long windowEndMs, long requests, long errors, long denied, long misfires, double p50, double p90, double p99) {
        static LatestWindow of(LatencyAggregateRecord w) {
            return new LatestWindow(w.getWindowEndMs(), w.getCount(), w.getErrors(), w.getDenied(), w.getMisfires(),
                    w.getLatencyMs().getP50(), w.getLatencyMs().getP90(), w.getLatencyMs().getP99());
        }
    }

    SloHistory(long windowMs) {
        this.slotMs = Math.max(windowMs, 60_000L);
        this.fine = new Slots((int) (Period.SIX_HOURS.millis / slotMs) + 2);
        this.hourly = new Slots(HOUR_SLOTS);
    }

    /** Counts a closed window: each window closes once. */
    void record(long windowStartMs, long requests, long slow, long errors) {
        fine.add(Math.floorDiv(windowStartMs, slotMs), requests, slow, errors);
        hourly.add(Math.floorDiv(windowStartMs, HOUR_MS), requests, slow, errors);
    }

    /**
     * The burn rate of each period ending at {@code endMs}: its bad requests over its requests, over the share of bad
     * ones the target allows. No requests burn nothing. Three days are summed by the hour, so their first hour may
     * count whole.
     */
    double[] burnRates(Slo slo, double target, long endMs) {
        double[] rates = new double[PERIODS];
        for (Period period : Period.values()) {
            long[] sums = period == Period.THREE_DAYS
                    ? hourly.sum(Math.floorDiv(endMs - period.millis, HOUR_MS), Math.floorDiv(endMs - 1, HOUR_MS))
                    : fine.sum(Math.floorDiv(endMs - period.millis, slotMs), Math.floorDiv(endMs - 1, slotMs));
            long bad = slo == Slo.LATENCY ? sums[1] : sums[2];
            rates[period.ordinal()] = sums[0] == 0 ? 0.0 : (double) bad / sums[0] / (1.0 - target);
        }
        return rates;
    }

    boolean isFiring(Slo slo, BurnRateRule.Severity severity) {
        return (firing & bit(slo, severity)) != 0;
    }

    void setFiring(Slo slo, BurnRateRule.Severity severity, boolean on) {
        firing = on ? firing | bit(slo, severity) : firing & ~bit(slo, severity);
    }

    private static int bit(Slo slo, BurnRateRule.Severity severity) {
        return 1 << (slo.ordinal() * 2 + severity.ordinal());
    }

    /** The target of the last evaluation, or null when the group's policy set none for this objective. */
    public Double target(Slo slo) {
        double target = targets[slo.ordinal()];
        return Double.isNaN(target) ? null : target;
    }

    /** The burn rate of the last evaluation over a period named as metrics name it (5m, 30m, 1h, 6h, 3d). */
    public double burnRate(Slo slo, String period) {
        for (Period p : Period.values()) {
            if (p.code.equals(period)) {
                return burnRates[slo.ordinal()][p.ordinal()];
            }
        }
        throw new IllegalArgumentException("no period " + period);
    }

    public double budgetRemaining(Slo slo) {
        return budgetRemaining[slo.ordinal()];
    }

    public boolean firing(Slo slo, String severity) {
        return isFiring(slo, BurnRateRule.Severity.valueOf(severity.toUpperCase(java.util.Locale.ROOT)));
    }

    public LatestWindow latest() {
        return latest;
    }

    public static String[] periods() {
        return Arrays.stream(Period.values()).map(p -> p.code).toArray(String[]::new);
    }

    /** A ring of slots of time, each holding its index and its counts; a slot written for a newer index forgets the older one. */
    static final class Slots {
        final long[] index;
        final long[] requests;
        final long[] slow;
        final long[] errors;

        Slots(int size) {
            index = new long[size];
            Arrays.fill(index, Long.MIN_VALUE);
            requests = new long[size];
            slow = new long[size];
            errors = new long[size];
        }

        void add(long at, long requests, long slow, long errors) {
            int slot = (int) Math.floorMod(at, (long) index.length);
            if (index[slot] != at) {
                if (index[slot] > at) {
                    // older than what the ring holds: no period that counts it is still evaluated
                    return;
                }
                index[slot] = at;
                this.requests[slot] = 0;
                this.slow[slot] = 0;
                this.errors[slot] = 0;
            }
            this.requests[slot] += requests;
            this.slow[slot] += slow;
            this.errors[slot] += errors;
        }

        /** Requests, slow and errors over slots [from, to]. */
        long[] sum(long from, long to) {
            long[] sums = new long[3];
            for (long at = Math.max(from, to - index.length + 1); at <= to; at++) {
                int slot = (int) Math.floorMod(at, (long) index.length);
                if (index[slot] == at) {
                    sums[0] += requests[slot];
                    sums[1] += slow[slot];
                    sums[2] += errors[slot];
                }
            }
            return sums;
        }
    }
}
