package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
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

/** Stage parse: one generated Caddy 2.6.2 access line (about 800 bytes of JSON) into an AccessEvent. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ParseBenchmark {
    private byte[][] lines;
    private CaddyLogParser parser;
    private int next;

    @Setup
    public void setUp() {
        lines = SampleTraffic.lines();
        parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), java.util.Set.of(), CapturedHeaders.none());
    }

    @Benchmark
    public ParseOutcome parseLine() {
        return parser.parse(lines[next++ & SampleTraffic.MASK]);
    }
}
