package dev.caddylightstep.loadtest.soak;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Which broker a fault of the soak hits, from what the cluster said: the one whose death moves the most, and the
 * lowest node id among equals, so that a run can be told again.
 *
 * @param nodeId the broker's node id
 * @param reason why this one, for the console and the report
 */
record BrokerChoice(int nodeId, String reason) {
    /** The broker that leads most partitions of {@code topic}, from each partition's leader (-1: none). */
    static Optional<BrokerChoice> leaderOfMost(String topic, Map<Integer, Integer> leaderByPartition) {
        OptionalInt leader = most(leaderByPartition.values(), OptionalInt.empty());
        if (leader.isEmpty()) {
            return Optional.empty();
        }
        long led = leaderByPartition.values().stream().filter(id -> id == leader.getAsInt()).count();
        return Optional.of(new BrokerChoice(leader.getAsInt(),
                "leader of " + led + " of " + leaderByPartition.size() + " partitions of " + topic));
    }

    /**
     * The broker that coordinates most of the application's open transactions, from each transactional id's
     * coordinator; among equals the group coordinator, which every transaction also writes its offsets to. With no
     * open transaction seen, the group coordinator.
     */
    static Optional<BrokerChoice> transactionCoordinator(Map<String, Integer> coordinatorByTransactionalId, OptionalInt groupCoordinator) {
        OptionalInt coordinator = most(coordinatorByTransactionalId.values(), groupCoordinator);
        String group = groupCoordinator.isPresent() ? "group coordinator broker-" + groupCoordinator.getAsInt() : "group coordinator unknown";
        if (coordinator.isEmpty()) {
            return groupCoordinator.isEmpty() ? Optional.empty()
                    : Optional.of(new BrokerChoice(groupCoordinator.getAsInt(), "no open transaction seen; " + group));
        }
        long held = coordinatorByTransactionalId.values().stream().filter(id -> id == coordinator.getAsInt()).count();
        return Optional.of(new BrokerChoice(coordinator.getAsInt(), "coordinator of " + held + " of "
                + coordinatorByTransactionalId.size() + " open transactions of the application; " + group));
    }

    /** The id counted most often (negative ids are no broker); among equals {@code preferred}, else the lowest. */
    private static OptionalInt most(Collection<Integer> ids, OptionalInt preferred) {
        Map<Integer, Integer> counts = new TreeMap<>();
        ids.stream().filter(id -> id >= 0).forEach(id -> counts.merge(id, 1, Integer::sum));
        int best = -1;
        int bestCount = 0;
        for (Map.Entry<Integer, Integer> entry : counts.entrySet()) {
            boolean more = entry.getValue() > bestCount;
            boolean preferredTie = entry.getValue() == bestCount && preferred.isPresent() && entry.getKey() == preferred.getAsInt();
            if (more || preferredTie) {
                best = entry.getKey();
                bestCount = entry.getValue();
            }
        }
        return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
    }
}
