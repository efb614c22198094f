package dev.caddylightstep.slo;

import java.util.List;

/**
 * One rule of the multi-window, multi-burn-rate alerts of Google's SRE workbook: it holds when both periods burn the
 * error budget faster than the threshold. The long period makes it significant, the short one makes it stop soon after
 * the burning does.
 */
record BurnRateRule(Severity severity, Period longPeriod, Period shortPeriod, double threshold) {
    /**
     * The workbook's thresholds, made for a 30-day budget: 2% of it spent in an hour or 5% in six hours pages, 10% in three
     * days tickets. The budget reported here is the last three days' (history is kept that long), so a ticket fires only
     * once that budget is spent.
     */
    static final List<BurnRateRule> RULES = List.of(
            new BurnRateRule(Severity.PAGE, Period.HOUR, Period.FIVE_MINUTES, 14.4),
            new BurnRateRule(Severity.PAGE, Period.SIX_HOURS, Period.THIRTY_MINUTES, 6),
            new BurnRateRule(Severity.TICKET, Period.THREE_DAYS, Period.SIX_HOURS, 1));

    boolean holds(double[] burnRates) {
        return burnRates[longPeriod.ordinal()] > threshold && burnRates[shortPeriod.ordinal()] > threshold;
    }

    /** Whether any rule of this severity holds. */
    static boolean fires(Severity severity, double[] burnRates) {
        for (BurnRateRule rule : RULES) {
            if (rule.severity == severity && rule.holds(burnRates)) {
                return true;
            }
        }
        return false;
    }

    enum Severity {
        PAGE("page"), TICKET("ticket");

        final String code;

        Severity(String code) {
            this.code = code;
        }
    }
}
