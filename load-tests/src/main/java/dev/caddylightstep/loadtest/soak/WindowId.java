package dev.caddylightstep.loadtest.soak;

/** One group's window, by the epoch millisecond it starts at. */
record WindowId(String group, long startMs) implements Comparable<WindowId> {
    @Override
    public int compareTo(WindowId o) {
        int byStart = Long.compare(startMs, o.startMs);
        return byStart != 0 ? byStart : group.compareTo(o.group);
    }
}
