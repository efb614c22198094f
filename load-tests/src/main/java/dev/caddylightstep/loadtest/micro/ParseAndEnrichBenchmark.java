package dev.caddylightstep.loadtest.micro;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.policy.EnrichedRequest;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stages parse, identify, enrich and judge on one core, without Kafka: parse a line, look its user up in a map
 * (the identities table's stand-in), take the route template and judge it by its group's policy. The target is
 * 500,000 lines/s (issue 27); JFR shows Jackson's tokenizing at about 45% of it and the line's two hashes for derived
 * ids at about 10%.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ParseAndEnrichBenchmark {
    private static final JsonFactory JSON = new JsonFactory();
    private byte[][] lines;
    private InMemoryStages stages;
    private int next;

    @Setup
    public void setUp() {
        lines = SampleTraffic.lines();
        stages = new InMemoryStages();
    }

    @Benchmark
    public EnrichedRequest parseAndEnrich() {
        return stages.enrich(lines[next++ & SampleTraffic.MASK]);
    }

    /**
     * The floor under a parser built on Jackson's: its streaming parser reading every token of the same lines and
     * nothing else, no string value decoded (as the parser skips what it does not read), no object built. What this
     * reaches is as far as parse + enrich can go without a tokenizer of its own: 588,590 ops/s against parseAndEnrich's
     * 258,113 in one run, 1.7 of its 3.9 µs a line, so the 2.2 µs that are not tokenizing would alone keep it under
     * 500,000.
     */
    @Benchmark
    public int jacksonTokensOnly() throws IOException {
        int tokens = 0;
        try (JsonParser p = JSON.createParser(lines[next++ & SampleTraffic.MASK])) {
            while (p.nextToken() != null) {
                tokens++;
            }
        }
        return tokens;
    }
}
