package dev.caddylightstep.loadtest.micro;

import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SpanMapper;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.Map;
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

/** Stage spans: one enriched request to the bytes of its OTLP ExportTraceServiceRequest, as the spans topic gets them. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class SpanEncodeBenchmark {
    private EnrichedRequest[] requests;
    private SpanMapper mapper;
    private int next;

    @Setup
    public void setUp() {
        requests = SampleTraffic.requests();
        mapper = new SpanMapper(Map.of("service.name", "caddy", "deployment.environment", "bench"), ClientAddressMasking.KEEP, CapturedHeaders.none(), StageSettings.DEFAULTS);
    }

    @Benchmark
    public byte[] encodeSpan() {
        return mapper.toRecord(requests[next++ & SampleTraffic.MASK]);
    }
}
