package dev.caddylightstep.loadtest.micro;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.policy.EnrichedRequest;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SpanMapper;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stages parse, identify, enrich and judge on one core, without Kafka: parse a line, look its user up in a map
 * (the identities table's stand-in), take the route template and judge it by its group's policy. The target is
 * 500,000 lines/s (issue 27); JFR shows the scanner of the line's bytes at about two thirds of the parse, the line's two
 * hashes for derived ids at about a tenth.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ParseAndEnrichBenchmark {
    private static final JsonFactory JSON = new JsonFactory();
    /**
     * Lines cycled through, a power of two: 1,024 (800 KB) stay in the core's caches from one turn to the next, as a
     * pipeline's lines do not (a poll brings a thousand, read once); {@code -p lineCount=131072} (100 MB) reads each
     * line from memory, as the pipeline does.
     */
    @Param("1024")
    public int lineCount;
    private byte[][] lines;
    private int mask;
    private InMemoryStages stages;
    private SpanMapper spans;
    private int next;

    @Setup
    public void setUp() {
        mask = lineCount - 1;
        if (lineCount <= 0 || (lineCount & mask) != 0) {
            throw new IllegalArgumentException("lineCount " + lineCount + " is not a power of two");
        }
        lines = SampleTraffic.lines(lineCount);
        stages = new InMemoryStages();
        spans = new SpanMapper(Map.of("service.name", "caddy", "deployment.environment", "bench"), ClientAddressMasking.KEEP,
                CapturedHeaders.none(), StageSettings.DEFAULTS);
    }

    @Benchmark
    public EnrichedRequest parseAndEnrich() {
        return stages.enrich(lines[next++ & mask]);
    }

    /**
     * The same, then the request's span: each line's strings are new, as in the pipeline, where {@link
     * SpanEncodeBenchmark} encodes the same requests again and again, their strings' hashes long computed.
     */
    @Benchmark
    public byte[] parseEnrichAndSpan() {
        return spans.toRecord(stages.enrich(lines[next++ & mask]));
    }

    /**
     * What Jackson's streaming parser, which reads every line the scanner of plain lines gives up on, takes to read
     * every token of the same lines and nothing else, no string value decoded, no object built: 588,590 ops/s against
     * parseAndEnrich's 258,113 on the day the parser still read every line with it. The scanner reads these tokens 1.7
     * times as fast (2.2 against 3.8 µs a line, in one process on a slower day).
     */
    @Benchmark
    public int jacksonTokensOnly() throws IOException {
        int tokens = 0;
        try (JsonParser p = JSON.createParser(lines[next++ & mask])) {
            while (p.nextToken() != null) {
                tokens++;
            }
        }
        return tokens;
    }
}
