package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.List;

/** The inputs every micro-benchmark cycles through: 1,024 generated access lines (seed 1), and their requests. */
final class SampleTraffic {
    static final int SIZE = 1_024;
    static final int MASK = SIZE - 1;

    private SampleTraffic() {
    }

    static byte[][] lines() {
        return lines(SIZE);
    }

    /** As many generated lines, the same seed: the first 1,024 are {@link #lines()}. */
    static byte[][] lines(int count) {
        return InMemoryStages.accessLines(1, count).toArray(byte[][]::new);
    }

    static EnrichedRequest[] requests() {
        InMemoryStages stages = new InMemoryStages();
        List<byte[]> lines = InMemoryStages.accessLines(1, SIZE);
        EnrichedRequest[] requests = new EnrichedRequest[SIZE];
        for (int i = 0; i < SIZE; i++) {
            requests[i] = stages.enrich(lines.get(i));
            if (requests[i] == null) {
                throw new IllegalStateException("generated access line " + i + " did not parse");
            }
        }
        return requests;
    }
}
