package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * When the soak's faults happen, counted from the start of the input: an instance killed every {@code killEvery}
 * (the instances in turn), the receiver down once from a quarter of the run, and the broker restarted once after the
 * receiver is back, as far from every kill as the run allows, so that each fault's effect can be told from the others'.
 * A cluster also has a rolling restart of its brokers, the SIGKILL of the leader of most of the access topic's
 * partitions, and then that of its transaction coordinator, each where the run is quietest and never two brokers away at once.
 */
record FaultSchedule(Duration length, List<Fault> faults) {
    /** After the receiver is back, the broker waits this long before its restart; a fault ends this long before the input. */
    static final Duration MARGIN = Duration.ofSeconds(15);
    private static final Duration STEP = Duration.ofSeconds(5);
    /** What a broker's clean restart is expected to take, its replicas' catch-up included, to place a rolling restart. */
    static final Duration ROLL_PER_BROKER = Duration.ofSeconds(30);

    FaultSchedule {
        faults = faults.stream().sorted(Comparator.comparing(Fault::at)).toList();
    }

    /** A fault of the soak, at a time from the start of the input. */
    sealed interface Fault permits InstanceKill, BrokerRestart, ReceiverOutage, BrokerKill, RollingRestart {
        Duration at();

        /** From its start to when everything it stopped is started again. */
        Duration lasts();

        /** Whether it takes a broker away: two such faults at once would leave partitions one replica short of acknowledging. */
        default boolean stopsABroker() {
            return false;
        }
    }

    /** Which broker a kill hits, found at the moment of the kill. */
    enum Target {
        /** The leader of most partitions of the access topic: the shipper's writes and the stream threads' reads move. */
        ACCESS_LEADER,
        /** The coordinator of most of the application's open transactions: the transactions in flight must be finished by another. */
        TRANSACTION_COORDINATOR
    }

    /** SIGKILL of one instance (0-based), started again at once. */
    record InstanceKill(Duration at, int instance) implements Fault {
        @Override
        public Duration lasts() {
            return Duration.ZERO;
        }
    }

    /** The broker (a cluster's first) stopped, left down for {@code down}, and started again on its data directory. */
    record BrokerRestart(Duration at, Duration down) implements Fault {
        @Override
        public Duration lasts() {
            return down;
        }

        @Override
        public boolean stopsABroker() {
            return true;
        }
    }

    /** SIGKILL of the broker {@code target} names at that moment, started again after {@code down}. */
    record BrokerKill(Duration at, Duration down, Target target) implements Fault {
        @Override
        public Duration lasts() {
            return down;
        }

        @Override
        public boolean stopsABroker() {
            return true;
        }
    }

    /** Every broker stopped cleanly and started again in turn, in sync before the next; it lasts about {@code expected}. */
    record RollingRestart(Duration at, Duration expected) implements Fault {
        @Override
        public Duration lasts() {
            return expected;
        }

        @Override
        public boolean stopsABroker() {
            return true;
        }
    }

    /** The OTLP receiver killed, and started again on the same port after {@code down}. */
    record ReceiverOutage(Duration at, Duration down) implements Fault {
        @Override
        public Duration lasts() {
            return down;
        }
    }

    /**
     * The faults of a soak on {@code brokers} brokers: one broker's, and on top for a cluster the rolling restart
     * (the longest, placed first) and the two broker kills, each where it is farthest from every other fault.
     */
    static FaultSchedule plan(Duration length, Duration killEvery, int instances, int brokers, Duration brokerDown, Duration receiverDown) {
        FaultSchedule soak = plan(length, killEvery, instances, brokerDown, receiverDown);
        if (brokers == 1) {
            return soak;
        }
        List<Fault> faults = new ArrayList<>(soak.faults());
        Duration roll = ROLL_PER_BROKER.multipliedBy(brokers);
        faults.add(new RollingRestart(quietest(roll, length, faults), roll));
        // two kills where the run is quietest; the access topic's leader first, then the coordinator, whichever place was found first
        List<Fault> placed = new ArrayList<>(faults);
        List<Duration> kills = new ArrayList<>();
        for (int i = 0; i < Target.values().length; i++) {
            Duration at = quietest(brokerDown, length, placed);
            kills.add(at);
            placed.add(new BrokerKill(at, brokerDown, Target.ACCESS_LEADER));
        }
        Collections.sort(kills);
        faults.add(new BrokerKill(kills.get(0), brokerDown, Target.ACCESS_LEADER));
        faults.add(new BrokerKill(kills.get(1), brokerDown, Target.TRANSACTION_COORDINATOR));
        return new FaultSchedule(length, faults);
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

    /**
     * The earliest start, from {@link #MARGIN} after the start of the input to its end less the fault and a margin, of
     * a broker fault lasting {@code lasts} that is farthest from every other fault and from the input's start and end,
     * and at least a margin from any other broker fault.
     */
    private static Duration quietest(Duration lasts, Duration length, List<Fault> faults) {
        Duration best = null;
        long bestDistance = -1;
        for (Duration at = MARGIN; at.plus(lasts).plus(MARGIN).compareTo(length) <= 0; at = at.plus(STEP)) {
            Duration end = at.plus(lasts);
            long distance = Math.min(distanceMs(Duration.ZERO, at, end), distanceMs(length, at, end));
            boolean clear = true;
            for (Fault fault : faults) {
                long apart = apartMs(fault.at(), fault.at().plus(fault.lasts()), at, end);
                clear &= !fault.stopsABroker() || apart >= MARGIN.toMillis();
                distance = Math.min(distance, apart);
            }
            if (clear && distance > bestDistance) {
                best = at;
                bestDistance = distance;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("a run of " + length.toSeconds() + " s is too short for a cluster's broker faults (a broker "
                    + "restart, a rolling restart and two broker kills), each at least " + MARGIN.toSeconds() + " s from the others");
        }
        return best;
    }

    /** Milliseconds between two intervals, 0 when they overlap. */
    private static long apartMs(Duration from, Duration to, Duration otherFrom, Duration otherTo) {
        if (to.compareTo(otherFrom) < 0) {
            return otherFrom.minus(to).toMillis();
        }
        return otherTo.compareTo(from) < 0 ? from.minus(otherTo).toMillis() : 0;
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
