package dev.caddylightstep.slo;

import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.LatencyAggregateRecord;

/** A group's objectives, as its policy states them: which requests are bad, and what share of good ones it promises. */
public enum Slo {
    /** Requests slower than the policy's latency_slo_ms are bad; latency_target of them should be faster. */
    LATENCY("latency") {
        @Override
        Double target(Policy policy) {
            return policy.latencySloMs() == null ? null : policy.latencyTarget();
        }

        @Override
        long bad(LatencyAggregateRecord window) {
            return window.getSloBreaches();
        }
    },
    /** 5xx answers are bad; availability_target of the requests should not be. */
    AVAILABILITY("availability") {
        @Override
        Double target(Policy policy) {
            return policy.availabilityTarget();
        }

        @Override
        long bad(LatencyAggregateRecord window) {
            return window.getErrors();
        }
    };

    public final String code;

    Slo(String code) {
        this.code = code;
    }

    /** The share of good requests the policy promises, or null when it promises none. */
    abstract Double target(Policy policy);

    /** How many of a window's requests miss this objective. */
    abstract long bad(LatencyAggregateRecord window);
}
