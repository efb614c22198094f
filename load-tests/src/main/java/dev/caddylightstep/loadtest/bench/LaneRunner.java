package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.GeneratorSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Runs one lane the same way as every other: the warm-up, and then a lead-in with the backlog behind it, are each
 * produced while the lane is paused and drained after a resume (the JIT compiler first falling quiet before the
 * backlog's). The backlog's drain is measured: its rate, process CPU and CPU by thread over the middle of the drain,
 * heap over all of it, and the wait from its last line consumed to its last output read back committed. The lead-in,
 * drained first in the same go, is not: it takes the recompilation a resume brings. Then lines are produced at a steady
 * rate for the latency probe.
 */
final class LaneRunner {
    private static final Duration JIT_QUIET_AT_MOST = Duration.ofMinutes(1);

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
    RunFigures run(Lane lane, BenchInput warmup, BenchInput leadIn, BenchInput backlog, Path profile) throws Exception {
        try (lane; OutputWatch watch = lane.watch(); InputProducer producer = new InputProducer(bootstrapServers, 20)) {
            Thread watching = new Thread(watch, "bench-output-watch");
            watching.setDaemon(true);
            watching.start();
            // JFR's first recording retransforms JDK classes for its I/O events, and a JVM that did not record every
            // dependency from its start then throws away all compiled code: begun at the resume, the drain ran the
            // warm code interpreted and recompiled it (3,870 lines/s, the JIT compiler 31% of the CPU)
            Recording beforeTheDrain = profile == null ? null : startRecording();
            // the warm-up goes the way the backlog will: produced while the lane is paused, drained after a resume and
            // read through a window, so that the code compiled in it has taken those paths; a warm-up that did not
            // had C2's code of StreamTask.process trap on the full buffers of the resume, and the reader's on its window
            lane.start();
            lane.pause();
            Expected warm = new Expected(0, 0, 0, 0);
            if (warmup.lines() > 0) {
                warm = producer.produceAll(lane.inputTopic(), warmup);
                Drain warmDrain = drain(lane, watch, new Expected(0, 0, 0, 0), warm);
                log.printf(Locale.ROOT, "%s: warm-up of %,d lines drained in %.2f s (%,.0f lines/s over its middle)%n", lane.name(),
                        warm.lines(), warmDrain.seconds(), warmDrain.window().linesPerSecond(warm.lines()));
                lane.pause();
            }
            TopicVolumes volumesBefore = volumes(lane);
            Expected lead = producer.produceAll(lane.inputTopic(), leadIn);
            Expected measured = producer.produceAll(lane.inputTopic(), backlog);
            Duration jitQuiet = JitQuiet.await(JIT_QUIET_AT_MOST);
            log.printf(Locale.ROOT, "%s: backlog of %,d lines (%,d bytes: %,d requests, %,d malformed) on the broker behind a lead-in of "
                    + "%,d; JIT compiler quiet after %.1f s%n", lane.name(), measured.lines(), measured.bytes(), measured.requests(),
                    measured.deadLetters(), lead.lines(), jitQuiet.toMillis() / 1e3);

            HeapPeak.reset();
            Recording recording = profile == null ? null : startRecording();
            if (beforeTheDrain != null) {
                beforeTheDrain.close();
            }
            Drain drain = drain(lane, watch, warm.plus(lead), measured);
            long peakHeap = HeapPeak.bytes();
            double load = Machine.loadAverage();
            if (recording != null) {
                recording.dump(profile);
                recording.close();
                log.printf("%s: JFR recording of the drain written to %s%n", lane.name(), profile);
            }
            DrainWindow window = drain.window();
            String outputs = watch.describe();
            log.printf(Locale.ROOT, "%s: drained the lead-in and %,d lines in %.2f s (%.0f%% to %.0f%% of them at %,.0f lines/s), the "
                            + "last commit readable %.2f s after the last line was consumed; outputs %s%n", lane.name(), measured.lines(),
                    drain.seconds(), DrainWindow.FROM * 100, DrainWindow.TO * 100, window.linesPerSecond(measured.lines()),
                    drain.commitWaitSeconds(), outputs);
            TopicVolumes volumes = volumes(lane).since(volumesBefore);
            log.printf("%s: topics after the drain, the lead-in's and the backlog's share:%s%n", lane.name(), volumes.describe());

            RunFigures.Latency latency = probe(lane, watch, warm.plus(lead).plus(measured));
            Map<String, Double> cpuByThread = window.cpuByThread();
            double workSeconds = cpuByThread.entrySet().stream().filter(t -> lane.doesWork(t.getKey())).mapToDouble(Map.Entry::getValue).sum();
            return new RunFigures(lane.name(), measured.lines(), measured.bytes(), window.drained(), window.seconds(),
                    window.cpuSeconds(), window.gcSeconds(), peakHeap, latency, cpuByThread, drain.seconds(),
                    drain.commitWaitSeconds(), jitQuiet.toMillis() / 1e3, outputs, volumes, load, workSeconds);
        }
    }

    /** One drain of a paused lane: its resume, its end, the clocks when its consumers had its last line, its middle. */
    private record Drain(Clocks resumed, Clocks done, Clocks lastLine, DrainWindow window) {
        double seconds() {
            return done.secondsSince(resumed);
        }

        double commitWaitSeconds() {
            return done.secondsSince(lastLine);
        }
    }

    /** Resumes the lane and waits until the outputs of {@code input}, produced behind {@code before}, are all read back. */
    private static Drain drain(Lane lane, OutputWatch watch, Expected before, Expected input)
            throws InterruptedException, TimeoutException {
        Expected all = before.plus(input);
        watch.expect(tally -> lane.isComplete(tally, all));
        ConsumedInput consumed = lane.consumedInput();
        consumed.noteAt(all.lines());
        DrainWindow window = new DrainWindow();
        Thread sampling = new Thread(() -> window.sample(() -> (double) (consumed.records() - before.lines()) / input.lines()),
                "bench-drain-window");
        sampling.setDaemon(true);
        Clocks resumed = Clocks.now();
        sampling.start();
        lane.resume();
        Clocks done;
        try {
            done = watch.awaitCondition(drainTimeout(input));
        } finally {
            sampling.interrupt();
            sampling.join();
        }
        if (!window.isClosed()) {
            throw new IllegalStateException(lane.name() + ": the drain was too short to take its rate over the middle (its input "
                    + "went from a tenth to nine tenths consumed between two readings); give it more lines");
        }
        return new Drain(resumed, done, consumed.reached(), window);
    }

    private TopicVolumes volumes(Lane lane) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            return TopicVolumes.of(admin, lane.topicPrefix());
        }
    }

    private RunFigures.Latency probe(Lane lane, OutputWatch watch, Expected before)
            throws InterruptedException, TimeoutException {
        if (probeLinesPerSecond <= 0 || probeDuration.isZero()) {
            return RunFigures.Latency.of(new long[0], 0);
        }
        watch.sampleLatencyFrom(System.currentTimeMillis());
        Expected probed;
        try (InputProducer producer = new InputProducer(bootstrapServers, 5)) {
            probed = producer.producePaced(lane.inputTopic(), probeSettings, probeLinesPerSecond, probeDuration);
        }
        Expected all = before.plus(probed);
        watch.expect(tally -> lane.isComplete(tally, all));
        watch.awaitCondition(Duration.ofMinutes(2));
        RunFigures.Latency latency = RunFigures.Latency.of(watch.latenciesMs(), probeLinesPerSecond);
        log.printf("%s: latency of %,d probe lines at %.0f lines/s: p50 %d ms, p99 %d ms, max %d ms%n", lane.name(), latency.samples(),
                probeLinesPerSecond, latency.p50Ms(), latency.p99Ms(), latency.maxMs());
        return latency;
    }

    private static Duration drainTimeout(Expected input) {
        // generous: 1,000 lines/s at the very least, and never under five minutes
        return Duration.ofSeconds(Math.max(300, input.lines() / 1_000));
    }

    private static Recording startRecording() throws java.io.IOException, java.text.ParseException {
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setName("caddy-lightstep-bench");
        recording.start();
        return recording;
    }
}
