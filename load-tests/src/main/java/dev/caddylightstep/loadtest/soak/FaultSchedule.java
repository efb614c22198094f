package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * When the soak's faults happen, counted from the start of the input: an instance killed every {@code killEvery}
 * (the instances in turn), the receiver down once from a quarter of the run, and the broker restarted once after the
 * receiver is back, as far from every kill as the run allows, so that each fault's effect can be told from the others'.
 */
record FaultSchedule(Duration length, List<Fault> faults) {
    /** After the receiver is back, the broker waits this long before its restart; a fault ends this long before the input. */
    static final Duration MARGIN = Duration.ofSeconds(15);
    private static final Duration STEP = Duration.ofSeconds(5);

    FaultSchedule {
        faults = faults.stream().sorted(Comparator.comparing(Fault::at)).toList();
    }

    /** A fault of the soak, at a time from the start of the input. */
    sealed interface Fault permits InstanceKill, BrokerRestart, ReceiverOutage {
        Duration at();

        /** From its start to when everything it stopped is started again. */
        Duration lasts();
    }

    /** SIGKILL of one instance (0-based), started again at once. */
    record InstanceKill(Duration at, int instance) implements Fault {
        @Override
        public Duration lasts() {
            return Duration.ZERO;
        }
    }

    /** The broker stopped, left down for {@code down}, and started again on its data directory. */
    record BrokerRestart(Duration at, Duration down) implements Fault {
        @Override
        public Duration lasts() {
            return down;
        }
    }

    /** The OTLP receiver killed, and started again on the same port after {@code down}. */
    record ReceiverOutage(Duration at, Duration down) implements Fault {
        @Override
        public Duration lasts() {
            return down;
        }
    }

    static FaultSchedule plan(Duration length, Duration killEvery, int instances, Duration brokerDown, Duration receiverDown) {
        if (killEvery.isNegative() || killEvery.isZero() || instances < 1) {
            throw new IllegalArgumentException("killEvery must be positive and instances at least 1");
        }
        List<Fault> faults = new ArrayList<>();
        List<Duration> kills = new ArrayList<>();
        for (int k = 1; killEvery.multipliedBy(k).compareTo(length) < 0; k++) {
            kills.add(killEvery.multipliedBy(k));
            faults.add(new InstanceKill(killEvery.multipliedBy(k), (k - 1) % instances));
        }
        Duration receiverAt = length.dividedBy(4);
        Duration receiverBack = receiverAt.plus(receiverDown);
        Duration firstBrokerAt = receiverBack.plus(MARGIN);
        Duration lastBrokerAt = length.minus(brokerDown).minus(MARGIN);
        if (firstBrokerAt.compareTo(lastBrokerAt) > 0) {
            throw new IllegalArgumentException("a run of " + length.toSeconds() + " s is too short for a receiver outage of "
                    + receiverDown.toSeconds() + " s from a quarter of the run and then a broker restart of " + brokerDown.toSeconds() + " s");
        }
        faults.add(new ReceiverOutage(receiverAt, receiverDown));
        // the end of the input counts as a kill: a restart just before it would leave its effect to the drain
        kills.add(length);
        faults.add(new BrokerRestart(farthestFromKills(firstBrokerAt, lastBrokerAt, kills, brokerDown), brokerDown));
        return new FaultSchedule(length, faults);
    }

    /** The earliest time in [first, last] whose broker outage is farthest from every kill. */
    private static Duration farthestFromKills(Duration first, Duration last, List<Duration> kills, Duration down) {
        Duration best = first;
        long bestDistance = -1;
        for (Duration at = first; at.compareTo(last) <= 0; at = at.plus(STEP)) {
            long distance = Long.MAX_VALUE;
            for (Duration kill : kills) {
                distance = Math.min(distance, distanceMs(kill, at, at.plus(down)));
            }
            if (distance > bestDistance) {
                best = at;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static long distanceMs(Duration t, Duration from, Duration to) {
        if (t.compareTo(from) < 0) {
            return from.minus(t).toMillis();
        }
        return t.compareTo(to) > 0 ? t.minus(to).toMillis() : 0;
    }
}
