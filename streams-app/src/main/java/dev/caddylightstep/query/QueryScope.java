package dev.caddylightstep.query;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a query answers for: every instance's data (no query string), or this instance's alone ({@code scope=local}).
 * Another instance asking for every group names the partitions of the store the metadata says this one holds
 * ({@code scope=local&partitions=0,2}): one it does not hold now makes the answer unavailable rather than short.
 *
 * @param partitions the partitions asked for, null for whatever this instance holds
 */
public record QueryScope(boolean local, SortedSet<Integer> partitions) {
    private static final QueryScope EVERY_INSTANCE = new QueryScope(false, null);
    /** Partition numbers of four digits at most: more than any topic of this application has. */
    private static final int MAX_PARTITION_DIGITS = 4;

    /** The scope of a request's raw query string (null when none); an IllegalArgumentException names what is wrong. */
    public static QueryScope of(String rawQuery) {
        if (rawQuery == null) {
            return EVERY_INSTANCE;
        }
        boolean local = false;
        SortedSet<Integer> partitions = null;
        for (String parameter : rawQuery.split("&")) {
            if (parameter.equals("scope=local")) {
                local = true;
            } else if (parameter.startsWith("partitions=")) {
                partitions = partitions(parameter.substring("partitions=".length()));
            }
        }
        if (partitions != null && !local) {
            throw new IllegalArgumentException("partitions= goes with scope=local");
        }
        return new QueryScope(local, partitions);
    }

    private static SortedSet<Integer> partitions(String list) {
        SortedSet<Integer> partitions = new TreeSet<>();
        for (String partition : list.split(",", -1)) {
            if (partition.isEmpty() || partition.length() > MAX_PARTITION_DIGITS || !partition.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("partitions= takes partition numbers of up to " + MAX_PARTITION_DIGITS + " digits, separated by commas");
            }
            partitions.add(Integer.parseInt(partition));
        }
        return Collections.unmodifiableSortedSet(partitions);
    }

    /** The query string that asks another instance for these partitions of its own. */
    static String localQuery(SortedSet<Integer> partitions) {
        return "scope=local&partitions=" + partitions.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
