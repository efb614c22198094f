package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.GeneratorSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Runs one lane the same way as every other: the backlog already on its input topic is drained and measured
 * (wall time, process CPU, heap, from the first record consumed to the last output read back committed), then
 * lines are produced at a steady rate for the latency probe.
 */
final class LaneRunner {
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final String bootstrapServers;
    private final GeneratorSettings probeSettings;
    private final double probeLinesPerSecond;
    private final Duration probeDuration;
    private final PrintStream log;

    LaneRunner(String bootstrapServers, GeneratorSettings probeSettings, double probeLinesPerSecond, Duration probeDuration,
               PrintStream log) {
        this.bootstrapServers = bootstrapServers;
        this.probeSettings = probeSettings;
        this.probeLinesPerSecond = probeLinesPerSecond;
        this.probeDuration = probeDuration;
        this.log = log;
    }

    /**
     * @param profile a JFR file to record the drain into, or null
     */
    RunFigures run(Lane lane, Expected backlog, Path profile) throws Exception {
        HeapPeak.reset();
        try (lane; OutputWatch watch = lane.watch()) {
            Thread watching = new Thread(watch, "bench-output-watch");
            watching.setDaemon(true);
            watching.start();
            watch.expect(tally -> lane.isComplete(tally, backlog));
            Recording recording = profile == null ? null : startRecording();
            lane.start();
            Clocks first = lane.awaitFirstRecord(START_TIMEOUT);
            ThreadCpu threadsAtFirst = ThreadCpu.snapshot();
            Clocks done = watch.awaitCondition(drainTimeout(backlog));
            ThreadCpu threadsAtDone = ThreadCpu.snapshot();
            long peakHeap = HeapPeak.bytes();
            double load = Machine.loadAverage();
            if (recording != null) {
                recording.dump(profile);
                recording.close();
                log.printf("%s: JFR recording of the drain written to %s%n", lane.name(), profile);
            }
            String outputs = watch.describe();
            log.printf("%s: drained %,d lines in %.2f s; outputs %s%n", lane.name(), backlog.lines(), done.secondsSince(first), outputs);
            TopicVolumes volumes;
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
                volumes = TopicVolumes.of(admin, lane.topicPrefix());
            }
            log.printf("%s: topics after the drain:%s%n", lane.name(), volumes.describe());

            RunFigures.Latency latency = probe(lane, watch, backlog);
            return new RunFigures(lane.name(), backlog.lines(), backlog.bytes(), done.secondsSince(first), done.cpuSecondsSince(first),
                    done.gcSecondsSince(first), peakHeap, latency, threadsAtDone.secondsByKindSince(threadsAtFirst), outputs, volumes, load);
        }
    }

    private RunFigures.Latency probe(Lane lane, OutputWatch watch, Expected backlog)
            throws InterruptedException, TimeoutException {
        if (probeLinesPerSecond <= 0 || probeDuration.isZero()) {
            return RunFigures.Latency.of(new long[0], 0);
        }
        watch.sampleLatencyFrom(System.currentTimeMillis());
        Expected probed;
        try (InputProducer producer = new InputProducer(bootstrapServers, 5)) {
            probed = producer.producePaced(lane.inputTopic(), probeSettings, probeLinesPerSecond, probeDuration);
        }
        Expected all = backlog.plus(probed);
        watch.expect(tally -> lane.isComplete(tally, all));
        watch.awaitCondition(Duration.ofMinutes(2));
        RunFigures.Latency latency = RunFigures.Latency.of(watch.latenciesMs(), probeLinesPerSecond);
        log.printf("%s: latency of %,d probe lines at %.0f lines/s: p50 %d ms, p99 %d ms, max %d ms%n", lane.name(), latency.samples(),
                probeLinesPerSecond, latency.p50Ms(), latency.p99Ms(), latency.maxMs());
        return latency;
    }

    private static Duration drainTimeout(Expected backlog) {
        // generous: 1,000 lines/s at the very least, and never under five minutes
        return Duration.ofSeconds(Math.max(300, backlog.lines() / 1_000));
    }

    private static Recording startRecording() throws java.io.IOException, java.text.ParseException {
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setName("caddy-lightstep-bench");
        recording.start();
        return recording;
    }
}
