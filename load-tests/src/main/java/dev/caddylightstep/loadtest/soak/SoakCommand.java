package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.loadtest.GeneratedCounts;
import dev.caddylightstep.loadtest.GeneratorSettings;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code caddy-lightstep bench soak}: the product as it is deployed, one process each (a broker, two instances of one
 * application.id, the shipper following a log file, an OTLP receiver), fed a Caddy log at a constant rate for
 * {@code --minutes} while instances are killed, the broker restarted and the receiver taken down; then every output
 * is checked against what was written. Exits 1 when a check fails.
 */
@Command(name = "soak", sortOptions = false,
        description = {
            "Runs a broker, two application instances (both roles), the shipper and an OTLP receiver as separate processes, writes a "
                    + "Caddy log at a constant rate for --minutes, and meanwhile kills an instance (SIGKILL) every --kill-every seconds, "
                    + "takes the receiver down for --receiver-down seconds and restarts the broker once.",
            "Then checks: lines in = requests + skipped + dead letters exactly; the span of every request at the receiver (duplicates "
                    + "counted, allowed); every window of caddy.latency.by-group equal to a recount of the log; no process or thread "
                    + "ended by itself. One line per failed check, then the figures; exits 1 when a check failed. Logs and JSON "
                    + "under load-tests/target/soak-TIME/."})
public final class SoakCommand implements Callable<Integer> {
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final int INSTANCES = 2;
    private static final Duration TICK = Duration.ofSeconds(2);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);
    private static final Duration DRAIN_CHECK_EVERY = Duration.ofSeconds(5);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--minutes", paramLabel = "N", description = "How long the log is written (default: ${DEFAULT-VALUE}).")
    int minutes = 10;

    @Option(names = "--rate", paramLabel = "R", description = "Lines a second written to the log (default: 2,000; 1,000 with "
            + "--brokers 3, whose eight processes fall behind 2,000 on a 2-core machine and then fail the drain for the machine's sake).")
    Double rate;

    @Option(names = "--brokers", paramLabel = "N",
            description = "1 (one node, broker and controller; the default) or 3: a controller and three brokers, each a process, every "
                    + "topic replicated three times with min.insync.replicas=2; the leader of most access partitions and the application's "
                    + "transaction coordinator are then killed (SIGKILL) and the brokers restarted one at a time as well.")
    int brokers = 1;

    private double rate() {
        return rate != null ? rate : brokers == 1 ? 2_000 : 1_000;
    }

    @Option(names = "--kill-every", paramLabel = "SECONDS", description = "An instance is killed this often, the two in turn (default: ${DEFAULT-VALUE}).")
    int killEverySeconds = 120;

    @Option(names = "--broker-down", paramLabel = "SECONDS",
            description = "How long the broker stays stopped at its restart, and a killed broker of a cluster (default: ${DEFAULT-VALUE}).")
    int brokerDownSeconds = 20;

    @Option(names = "--receiver-down", paramLabel = "SECONDS", description = "How long the OTLP receiver is down (default: ${DEFAULT-VALUE}).")
    int receiverDownSeconds = 60;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS",
            description = "After the input stops, how long to wait for the outputs to be complete (default: ${DEFAULT-VALUE}).")
    int drainTimeoutSeconds = 300;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the generated lines (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--keep-data", description = "Keep the broker's data, the state directories and the log after a soak that passed "
            + "(they are always kept after one that failed).")
    boolean keepData;

    @Override
    public Integer call() throws Exception {
        FaultSchedule schedule = schedule();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        Instant started = Instant.now();
        Path root = repositoryRoot();
        Path appJar = root.resolve("streams-app/target/caddy-lightstep.jar");
        if (!Files.isRegularFile(appJar)) {
            throw new CommandLine.ParameterException(new CommandLine(this), appJar + " is missing: run ./caddy-lightstep bench soak, which builds it");
        }
        Path runDir = root.resolve("load-tests/target/soak-" + FILE_TIME.format(started));
        SoakCluster cluster = new SoakCluster(runDir, appJar, INSTANCES, brokers);
        // Ctrl-C, or any end of this JVM: no child outlives the soak
        Thread hook = new Thread(cluster::close, "soak-children");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            console.printf(Locale.ROOT, "soak: %s; faults: %s; processes' logs in %s%n", summary(), describe(schedule), runDir.resolve("logs"));
            cluster.start();
            SoakReport report = run(cluster, schedule, started, console);
            Path json = runDir.resolve("soak.json");
            report.write(json);
            report.print(out, root.relativize(json));
            if (report.failures().isEmpty() && !keepData) {
                cluster.close();
                deleteData(runDir, cluster.kafka().dataDirs());
            }
            return report.failures().isEmpty() ? 0 : 1;
        } finally {
            cluster.close();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private SoakReport run(SoakCluster cluster, FaultSchedule schedule, Instant started, PrintStream console) throws Exception {
        Settings defaults = Settings.of(Map.of("bootstrap.servers", cluster.bootstrapServers()));
        long windowMs = PipelineConfig.from(defaults).windows().size().toMillis();
        InputLedger ledger = new InputLedger(windowMs);
        GeneratorSettings generator = GeneratorSettings.defaults().withSeed(seed).withLinesPerSecond(rate());
        PacedLog log = new PacedLog(cluster.accessLog(), generator, Duration.ofMinutes(minutes), ledger);
        ReceivedSpans received = new ReceivedSpans(cluster.receivedSpans());
        long start = System.nanoTime();
        String applicationId = defaults.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG).toString();
        try (ClusterQueries queries = new ClusterQueries(cluster.bootstrapServers())) {
            BrokerFaults brokerFaults = new BrokerFaults(cluster.kafka(), queries, TopicNames.DEFAULTS.access(), applicationId, start);
            FaultTimeline timeline = new FaultTimeline(schedule, cluster, brokerFaults, console, start);
            return underFaults(cluster, timeline, queries, log, ledger, received, applicationId, defaults, start, console, started);
        }
    }

    /** Writes the log while the faults happen, then drains and takes the figures. */
    private SoakReport underFaults(SoakCluster cluster, FaultTimeline timeline, ClusterQueries queries, PacedLog log, InputLedger ledger,
                                   ReceivedSpans received, String applicationId, Settings defaults, long start, PrintStream console,
                                   Instant started) throws Exception {
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        Thread writer = new Thread(log, "soak-log");
        writer.setUncaughtExceptionHandler((thread, e) -> writeFailure.set(e));
        CommitWatch commits = new CommitWatch(cluster.bootstrapServers(), List.of(
                new CommitWatch.Watched("streams", applicationId, TopicNames.DEFAULTS.access()),
                new CommitWatch.Watched("forwarder", ForwarderSettings.from(defaults).groupId(), TopicNames.DEFAULTS.spans())), start);
        Thread watching = new Thread(commits, "soak-commits");
        watching.setDaemon(true);
        watching.start();
        Thread faults = new Thread(timeline, "soak-faults");
        faults.setDaemon(true);
        writer.start();
        faults.start();
        long nextProgress = PROGRESS_EVERY.toNanos();
        while (writer.isAlive() || faults.isAlive()) {
            writer.join(TICK.toMillis());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            cluster.supervise(FaultTimeline.clock(elapsed));
            if (elapsed.toNanos() >= nextProgress) {
                nextProgress += PROGRESS_EVERY.toNanos();
                console.printf(Locale.ROOT, "soak: %s %,d lines written, %,d spans at the receiver%n", FaultTimeline.clock(elapsed),
                        log.written(), received.onRecord());
            }
        }
        if (writeFailure.get() != null) {
            throw new IllegalStateException("the soak's log writer failed: " + writeFailure.get(), writeFailure.get());
        }
        GeneratedCounts counts = log.counts();
        console.printf(Locale.ROOT, "soak: %s input stopped after %,d lines; draining%n",
                FaultTimeline.clock(Duration.ofNanos(System.nanoTime() - start)), counts.lines());
        try (commits) {
            return drain(cluster, queries, ledger, counts, received, timeline, commits, started, console);
        }
    }

    /** Reads the outputs until they are complete or the drain times out, then takes the figures. */
    private SoakReport drain(SoakCluster cluster, ClusterQueries queries, InputLedger ledger, GeneratedCounts counts, ReceivedSpans received,
                             FaultTimeline timeline, CommitWatch commits, Instant started, PrintStream console) throws InterruptedException {
        long drainStart = System.nanoTime();
        long deadline = drainStart + Duration.ofSeconds(drainTimeoutSeconds).toNanos();
        long[] expectedIds = ledger.spanIds();
        long[] expectedTimes = ledger.timesMs();
        try (OutputTally tally = new OutputTally(cluster.bootstrapServers(), TopicNames.DEFAULTS)) {
            while (true) {
                cluster.supervise("drain");
                tally.catchUp(Duration.ofSeconds(30));
                received.catchUp();
                SpanComparison spans = SpanComparison.of(expectedIds, expectedTimes, received.spanIds(), tally.spanIds());
                List<String> windowDifferences = WindowRecount.differences(ledger.recount().windows(), tally.windows());
                boolean complete = tally.spannedRequests() >= counts.accessLines() && tally.deadLetters() >= counts.malformedLines()
                        && spans.missing() == 0 && windowDifferences.isEmpty();
                boolean timedOut = System.nanoTime() > deadline;
                if (complete || timedOut) {
                    double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                    List<String> processFailures = new ArrayList<>(cluster.unexpectedExits());
                    processFailures.addAll(cluster.threadDeaths());
                    timeline.failed().forEach(step -> processFailures.add("fault step " + step));
                    if (ledger.requests() != counts.accessLines()) {
                        processFailures.add("the soak parsed " + ledger.requests() + " requests of " + counts.accessLines() + " access lines written");
                    }
                    List<TopicReplication> replication = List.of();
                    try {
                        replication = queries.replication();
                    } catch (IllegalStateException e) {
                        processFailures.add("the topics' replication could not be read: " + e.getMessage());
                    }
                    Map<String, Long> rss = new LinkedHashMap<>(cluster.peakRssKb());
                    rss.put("soak", ResidentMemory.peakKb(ProcessHandle.current().pid()));
                    return new SoakReport(started, settings(), counts.lines(), counts.accessLines(), counts.nonAccessLines(),
                            counts.malformedLines(), tally.accessRecords(), tally.spannedRequests(), tally.deadLetters(),
                            tally.deadLettersByReason(), spans, ledger.recount().windows().size(), windowDifferences, processFailures,
                            cluster.errorLines(), rss, timeline.done(), stalls(timeline, commits), replication, cluster.kafka().replicas(),
                            cluster.kafka().minInsyncReplicas(), drainSeconds, complete);
                }
                console.printf(Locale.ROOT, "soak: draining: %,d of %,d requests with spans, %,d of %,d spans at the receiver, %,d windows differ%n",
                        tally.spannedRequests(), counts.accessLines(), spans.expected() - spans.missing(), spans.expected(), windowDifferences.size());
                Thread.sleep(DRAIN_CHECK_EVERY.toMillis());
            }
        }
    }

    private static Map<String, Map<String, CommitWatch.Stall>> stalls(FaultTimeline timeline, CommitWatch commits) {
        Map<String, Map<String, CommitWatch.Stall>> stalls = new LinkedHashMap<>();
        for (FaultTimeline.Begun fault : timeline.begun()) {
            stalls.put(FaultTimeline.clock(fault.at()) + " " + fault.fault(), commits.stallsAfter(fault.at()));
        }
        return stalls;
    }

    private FaultSchedule schedule() {
        if (minutes < 1 || !(rate() > 0) || killEverySeconds < 1 || brokerDownSeconds < 0 || receiverDownSeconds < 0 || drainTimeoutSeconds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--minutes, --rate, --kill-every and --drain-timeout must be positive; --broker-down and --receiver-down at least 0");
        }
        if (brokers != 1 && brokers != KraftNodeConfig.REPLICAS) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--brokers: 1 or " + KraftNodeConfig.REPLICAS + ", not " + brokers);
        }
        try {
            return FaultSchedule.plan(Duration.ofMinutes(minutes), Duration.ofSeconds(killEverySeconds), INSTANCES, brokers,
                    Duration.ofSeconds(brokerDownSeconds), Duration.ofSeconds(receiverDownSeconds));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage() + ": give more --minutes");
        }
    }

    private String summary() {
        String kafka = brokers == 1 ? "1 broker" : String.format(Locale.ROOT, "%d brokers and a controller, replication %d, min.insync.replicas %d",
                brokers, KraftNodeConfig.REPLICAS, KraftNodeConfig.MIN_INSYNC_REPLICAS);
        return String.format(Locale.ROOT, "%d min at %,.0f lines/s, %d instances, %s", minutes, rate(), INSTANCES, kafka);
    }

    private static String describe(FaultSchedule schedule) {
        List<String> parts = new ArrayList<>();
        List<String> kills = new ArrayList<>();
        for (FaultSchedule.Fault fault : schedule.faults()) {
            String at = FaultTimeline.clock(fault.at());
            if (fault instanceof FaultSchedule.InstanceKill kill) {
                kills.add(at + " instance-" + (kill.instance() + 1));
            } else if (fault instanceof FaultSchedule.BrokerRestart restart) {
                parts.add("broker restart at " + at + " (" + restart.down().toSeconds() + " s down)");
            } else if (fault instanceof FaultSchedule.BrokerKill kill) {
                parts.add(kill.target().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " killed at " + at + " (" + kill.down().toSeconds() + " s down)");
            } else if (fault instanceof FaultSchedule.RollingRestart) {
                parts.add("rolling restart from " + at);
            } else {
                parts.add("receiver down at " + at + " for " + fault.lasts().toSeconds() + " s");
            }
        }
        parts.add(0, "kills " + (kills.isEmpty() ? "none" : String.join(", ", kills)));
        return String.join("; ", parts);
    }

    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("summary", summary());
        s.put("minutes", minutes);
        s.put("lines_per_second", rate());
        s.put("instances", INSTANCES);
        s.put("brokers", brokers);
        s.put("kill_every_seconds", killEverySeconds);
        s.put("broker_down_seconds", brokerDownSeconds);
        s.put("receiver_down_seconds", receiverDownSeconds);
        s.put("drain_timeout_seconds", drainTimeoutSeconds);
        s.put("seed", seed);
        return s;
    }

    /** The broker's data, the instances' state and the log: gigabytes after ten minutes, and of no use once the soak passed. */
    private static void deleteData(Path runDir, List<Path> kafkaData) throws IOException {
        List<Path> data = new ArrayList<>(kafkaData);
        data.addAll(List.of(runDir.resolve("access.log"), runDir.resolve("received-spans.bin")));
        for (int i = 1; i <= INSTANCES; i++) {
            data.add(runDir.resolve("state-" + i));
        }
        for (Path path : data) {
            if (!Files.exists(path)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The repository's top directory, from where this class was loaded (load-tests/target/the jar, or its classes). */
    private static Path repositoryRoot() throws URISyntaxException {
        Path location = Path.of(SoakCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return location.getParent().getParent().getParent();
    }
}
