package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.loadtest.GeneratorSettings;
import dev.caddylightstep.loadtest.micro.JmhCommand;
import dev.caddylightstep.loadtest.soak.SoakCommand;
import dev.caddylightstep.topology.StreamsProperties;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code caddy-lightstep bench}: the same generated Caddy lines through a plain consumer → producer pass-through
 * (the ceiling of this machine) and through the whole pipeline, on one embedded broker in this JVM, one after
 * the other; a table of both, and the ratio of their throughputs as the last line.
 */
@Command(name = "bench", sortOptions = false,
        subcommands = {ForwarderBenchCommand.class, JmhCommand.class, JfrSummaryCommand.class, SoakCommand.class},
        description = {
            "Drains the same generated Caddy 2.6.2 lines through a plain consumer -> producer pass-through and through the whole "
                    + "pipeline (exactly_once_v2), on one embedded broker in this JVM, each after a warm-up through the same lane; "
                    + "lines/s and CPU are taken over the middle of the drain (from 10%% to 90%% of the backlog returned by its consumers), "
                    + "and the wait from the last line consumed to the last output readable is reported on its own; then produces "
                    + "lines at a steady rate to measure end-to-end latency.",
            "Prints a table and, last, 'ratio R' (pipeline lines/s over pass-through lines/s); writes bench.json and an SVG "
                    + "chart, bench.svg, to load-tests/target/bench-TIME/ or --out."})
public final class BenchCommand implements Callable<Integer> {
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--lines", paramLabel = "N", description = "Lines of the measured backlog (default: ${DEFAULT-VALUE}).")
    int lines = 1_000_000;

    private static final int MIN_DEFAULT_WARMUP = 2_000_000;
    /**
     * The pass-through's backlog, the machine's ceiling that the ratio divides by, is never under three million lines:
     * it drains 200,000 in under a second, and over a middle that short the ceiling moved 30% from run to run on a quiet
     * machine (191,430–308,102 lines/s), which made `--lines 200000` and the default disagree. Read every half second it
     * still moves between 227,000 and 363,000 lines/s, and a million lines' middle (2.6 s) ran 239,896–315,056 in six
     * runs that drained the same lines alike. Three million take it about ten seconds.
     */
    private static final int MIN_CEILING_LINES = 3_000_000;
    /**
     * As long as the measured backlog, and never under two million lines: the JIT compiler takes its time over code run
     * per batch, per request, per fetch or per commit rather than per line, and a shorter warm-up leaves that
     * compilation inside the measured drain, which a long-running instance does not pay (after 1,000,000 warm-up lines
     * it took 8.5–10.1 µs a line of the pipeline's 200,000-line drains and 4.1–4.8 of its 1,000,000-line ones, which
     * ran 1.4 times as fast; after 2,000,000, 2.8 and 1.9, and 102,542 and 97,910 lines/s). The warm-up goes through
     * the lane that is then measured: warmed on lanes of their own, fresh streams and stores took the uncommon traps
     * of their first records (empty caches, first windows) in the warm code and had it recompiled in the measured
     * drain (the JIT compiler a third of its CPU).
     */
    @Option(names = "--warmup-lines", paramLabel = "N",
            description = "Lines through each lane first, not measured, by the same clients and streams that then drain the backlog, "
                    + "so that the backlog finds the code compiled as a long-running instance would (the lane then pauses while the "
                    + "backlog is produced, and waits, up to a minute, for the JIT compiler to fall quiet); 0 for none (default: as "
                    + "many as --lines, at least " + MIN_DEFAULT_WARMUP + ").")
    Integer warmupLines;

    /**
     * Lines drained just before the backlog, in the same go, and not measured: a lane is slow for seconds after a
     * resume. The first records after the pause deoptimize the stream threads' loop: JFR of a 200,000-line drain showed
     * C2 compiling StreamTask.process, StreamThread.runOnceWithoutProcessingThreads and
     * TaskExecutionMetadata.canProcessTask again for 2.5 s after the resume, when the whole drain took 3.7, and the JIT
     * compiler took 18–28% of the CPU of 200,000-line drains against 8–15% of 1,000,000-line ones; their ratios differed
     * by a quarter. Read every half second, the pipeline drained 36,000 lines/s in its first second and a steady
     * 86,000–104,000 from the second on; the pass-through climbed from 141,600 to 250,000–360,000 over four seconds,
     * which a lead-in of 500,000 lines (two seconds of it) left inside its measured middle. A million and a half is
     * about six seconds of the pass-through and thirteen of the pipeline, whatever --lines is.
     */
    @Option(names = "--lead-in-lines", paramLabel = "N",
            description = "Lines produced with the backlog, just before it, and drained in the same go without being measured, so "
                    + "that the recompilation the resume brings falls outside the measured drain (default: ${DEFAULT-VALUE}).")
    int leadInLines = 1_500_000;
    /** How much closer the lead-in's lines are in log time than --log-rate has them. */
    private static final int LEAD_IN_DENSITY = 10;

    @Option(names = "--partitions", paramLabel = "P", description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
    int partitions = 2;

    @Option(names = "--stream-threads", paramLabel = "T",
            description = "num.stream.threads of the pipeline (default: one per core, as an instance on its own cores would run: "
                    + "${DEFAULT-VALUE} here).")
    int streamThreads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--log-rate", paramLabel = "R",
            description = "Lines per second of Caddy log time in the backlog: how many requests share a window (default: ${DEFAULT-VALUE}).")
    double logRate = 10_000;

    @Option(names = "--probe-rate", paramLabel = "R",
            description = "Lines per second produced after the drain to measure latency; 0 for no probe (default: ${DEFAULT-VALUE}).")
    double probeRate = 2_000;

    @Option(names = "--probe-seconds", paramLabel = "S", description = "How long the latency probe produces (default: ${DEFAULT-VALUE}).")
    int probeSeconds = 5;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the generated lines (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A pipeline setting over the bench's, as in the application's properties file: commit.interval.ms=100, "
                    + "producer.linger.ms=5, caddy.window.exemplars=0, ...")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = {"--out", "--results"}, paramLabel = "DIR",
            description = "Where bench.json and bench.svg go (default: load-tests/target/bench-TIME/, TIME the start in UTC).")
    Path directory;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "Record the pipeline's drain with JDK Flight Recorder ('profile' settings) into FILE; "
                    + "summarise it with 'bench jfr-summary FILE'.")
    Path profile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (warmupLines == null) {
            warmupLines = Math.max(MIN_DEFAULT_WARMUP, lines);
        }
        if (lines < 1 || warmupLines < 0 || leadInLines < 0 || partitions < 1 || streamThreads < 1 || !(logRate > 0) || probeRate < 0
                || probeSeconds < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--lines, --partitions, --stream-threads and --log-rate must be positive; --warmup-lines, --lead-in-lines, "
                            + "--probe-rate and --probe-seconds at least 0");
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream log = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        Instant now = Instant.now();
        Machine machine = Machine.current();
        log.println("bench on " + machine.describe());

        // the backlog's log time ends two minutes ago: record stamps are in the past, as the broker wants of CreateTime;
        // it goes on where the lead-in's ends, and that where the warm-up's, as a long-running instance's input would.
        // The lead-in's lines come ten times as close in log time: the windows still open when the latency probe runs
        // are then about those of a bench without one (with a lead-in of 150 s of log time the probe's p99 went from
        // 594-721 ms to 778-1,093, the windows' 10-minute grace holding 450 s of them)
        Duration warmupSpan = span(warmupLines, logRate);
        Duration leadInSpan = span(leadInLines, logRate * LEAD_IN_DENSITY);
        Instant backlogEnd = now.minus(Duration.ofMinutes(2));
        Instant backlogStart = backlogEnd.minus(span(lines, logRate));
        Instant warmupStart = backlogStart.minus(leadInSpan).minus(warmupSpan);
        GeneratorSettings settings = GeneratorSettings.defaults().withSeed(seed).withLinesPerSecond(logRate).withStart(backlogStart);
        BenchInput warmup = new BenchInput(settings.withSeed(seed + 1).withStart(warmupStart), warmupLines);
        BenchInput leadIn = new BenchInput(settings.withSeed(seed + 3).withLinesPerSecond(logRate * LEAD_IN_DENSITY)
                .withStart(warmupStart.plus(warmupSpan)), leadInLines);
        BenchInput input = new BenchInput(settings, lines);
        // the pass-through reads no log time: its longer backlog ends two minutes ago too
        BenchInput ceilingInput = lines >= MIN_CEILING_LINES ? input
                : new BenchInput(settings.withStart(backlogEnd.minus(span(MIN_CEILING_LINES, logRate))), MIN_CEILING_LINES);

        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            PipelineLane pipeline = new PipelineLane(kafka, "bench.pipeline.", partitions, streamThreads, overrides);
            LaneRunner runner = new LaneRunner(bootstrap, GeneratorSettings.defaults().withSeed(seed + 2), probeRate,
                    Duration.ofSeconds(probeSeconds), log);
            RunFigures passThroughFigures = runner.run(new PassThroughLane(kafka, "bench.passthrough.", partitions), warmup, leadIn,
                    ceilingInput, null);
            RunFigures pipelineFigures = runner.run(pipeline, warmup, leadIn, input, profile);

            BenchReport report = new BenchReport(now, machine, settings(pipeline, passThroughFigures, pipelineFigures),
                    passThroughFigures, pipelineFigures);
            Path written = report.write(outputDirectory(directory, "bench", now));
            log.println("figures written to " + written + " (and bench.svg beside it)");
            log.printf(java.util.Locale.ROOT, "cpu ratio %.3f (pass-through CPU per line over pipeline CPU per line)%n", report.cpuRatio());
            report.printTable(out);
            out.printf(java.util.Locale.ROOT, "ratio %.3f%n", report.ratio());
        }
        return 0;
    }

    /** How much log time so many lines take at this many a second. */
    private static Duration span(long lineCount, double linesPerSecond) {
        return Duration.ofMillis((long) (lineCount / linesPerSecond * 1000));
    }

    private Map<String, Object> settings(PipelineLane pipeline, RunFigures passThrough, RunFigures pipelineFigures) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("lines", lines);
        s.put("warmup_lines", warmupLines);
        s.put("lead_in_lines", leadInLines);
        s.put("jit_quiet_after_seconds", Math.max(passThrough.jitQuietSeconds(), pipelineFigures.jitQuietSeconds()));
        s.put("partitions", partitions);
        s.put("stream_threads", streamThreads);
        s.put("log_lines_per_second", logRate);
        s.put("probe_lines_per_second", probeRate);
        s.put("probe_seconds", probeSeconds);
        s.put("seed", seed);
        s.put("overrides", overrides);
        Map<String, String> streams = new TreeMap<>();
        StreamsProperties.of(pipeline.config()).forEach((key, value) -> streams.put(key.toString(), value.toString()));
        streams.remove(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
        streams.remove(StreamsConfig.STATE_DIR_CONFIG);
        s.put("streams_properties", streams);
        return s;
    }

    /**
     * {@code out} when given, else load-tests/target/NAME-TIME, found from where this class was loaded (load-tests/target/the
     * jar, or its classes): a run's figures are a measurement, not a source file, and the figures the README quotes are
     * committed by hand as load-tests/results/baseline.json.
     */
    static Path outputDirectory(Path out, String name, Instant started) throws URISyntaxException {
        if (out != null) {
            return out;
        }
        Path location = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return location.getParent().resolve(name + "-" + RUN_TIME.format(started));
    }
}
