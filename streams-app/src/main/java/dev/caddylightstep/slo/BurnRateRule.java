package dev.caddylightstep.slo;

import java.util.List;

/**
 * One rule of the multi-window, multi-burn-rate alerts of Google's SRE workbook: it holds when both periods burn the
 * error budget faster than the threshold. The long period makes it significant, the short one makes it stop soon after
 * the burning does.
 */
record BurnRateRule(Severity severity, Period longPeriod, Period shortPeriod, double threshold) {
    /** 2% of a 30-day budget in an hour, 5% in six hours: page; 10% in three days: ticket. */
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
