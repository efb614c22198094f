package dev.caddylightstep.span;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which spans are exported: every span a keep rule keeps, and the others with the probability {@code ratio} (a group's
 * policy may set its own), decided on the trace id's randomness as OpenTelemetry's consistent probability sampling does.
 *
 * @param ratio the probability of exporting a span that no rule keeps, 0 to 1
 * @param keep  the rules that keep a span whatever the ratio
 */
public record SamplingSettings(double ratio, Set<KeepRule> keep) {
    public static final SamplingSettings EXPORT_ALL = new SamplingSettings(1, EnumSet.allOf(KeepRule.class));

    public SamplingSettings {
        keep = keep.isEmpty() ? EnumSet.noneOf(KeepRule.class) : EnumSet.copyOf(keep);
    }

    /** What keeps a span whatever the ratio; {@link #code()} is its name in caddy.sample.keep and in the metric's reason. */
    public enum KeepRule {
        /** 5xx. */
        ERRORS("errors"),
        /** 401 and 403. */
        DENIALS("denials"),
        /** The edge did not do what the group's policy expected. */
        MISFIRES("misfires"),
        /** Slower than the group's latency objective. */
        SLO_BREACHES("slo-breaches"),
        /** Among its window's slowest when it came: every exemplar a window links to is an exported trace. */
        EXEMPLARS("exemplars");

        private final String code;

        KeepRule(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** caddy.sample.ratio and caddy.sample.keep. */
    public static SamplingSettings from(Settings s) {
        String text = s.string("caddy.sample.ratio");
        double ratio;
        try {
            ratio = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            ratio = Double.NaN;
        }
        if (!(ratio >= 0 && ratio <= 1)) {
            throw Settings.invalid("caddy.sample.ratio", text, "a probability from 0 to 1, such as 0.1");
        }
        Set<KeepRule> keep = EnumSet.noneOf(KeepRule.class);
        for (String name : s.list("caddy.sample.keep")) {
            keep.add(Arrays.stream(KeepRule.values()).filter(rule -> rule.code().equals(name.toLowerCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> new ConfigException("caddy.sample.keep (CADDY_SAMPLE_KEEP): '" + name + "' is not one of "
                            + Arrays.stream(KeepRule.values()).map(KeepRule::code).collect(Collectors.joining(", ")))));
        }
        return new SamplingSettings(ratio, keep);
    }
}
