package dev.caddylightstep.demo;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.aggregate.WindowClosing;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.forward.SpanForwarder;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.IdentitiesFile;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.run.FatalFailure;
import dev.caddylightstep.span.SpanStage;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.io.IOException;
import java.io.InputStream;
import dev.caddylightstep.console.ProgressLine;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Supplier;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The whole product on one machine: an embedded Kafka broker, the identities and policies, a Caddy log
 * shipped into caddy.access, the topology, the span forwarder and the dashboard.
 */
public final class Demo {
    private static final int PARTITIONS = 3;

    /** What the demo command was asked for. */
    public record Options(Path caddyLog, Path identities, Path policies, boolean untilIdle, int idleSeconds,
                          Path aggregatesOut, Path alertsOut, int httpPort, Map<String, String> settings) {
    }

    /** The counts of the summary line. */
    public record Summary(long lines, long requests, long skipped, long deadLetters, long spans, long windows, long sampledOut) {
        @Override
        public String toString() {
            return "summary: lines=" + lines + " requests=" + requests + " skipped=" + skipped + " dead_letters=" + deadLetters
                    + " spans=" + spans + " windows=" + windows + " sampled_out=" + sampledOut;
        }
    }

    private final Options options;
    private final PrintStream out;
    private final PrintStream err;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();

    public Demo(Options options, PrintStream out, PrintStream err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /** Asks a running demo to stop (Ctrl-C); {@link #run()} then prints the summary and returns. */
    public void stop() {
        stop.countDown();
    }

    public Summary run() throws InterruptedException, IOException {
        Path work = Files.createTempDirectory("caddy-lightstep-demo");
        List<Identity> identities = IdentitiesFile.read(options.identities() != null ? options.identities() : bundled(work, "identities.yaml"));
        List<Policy> policies = PoliciesFile.read(options.policies() != null ? options.policies() : bundled(work, "policies.yaml"));
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(work.resolve("kafka")).build().start()) {
            Map<String, String> raw = new HashMap<>(options.settings());
            raw.put("bootstrap.servers", kafka.bootstrapServers());
            raw.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("streams").toString());
            raw.putIfAbsent("caddy.http.port", Integer.toString(options.httpPort()));
            Settings settings = Settings.load(null, System.getenv(), raw);
            settings = withFreePortIfTaken(settings, raw);
            PipelineConfig config = PipelineConfig.from(settings);
            Topics topics = Topics.of(config.topics());
            kafka.createTopics(TopicLayout.topics(config.topics(), PARTITIONS, (short) 1));
            TableLoader.load(config.kafka(), topics.identities(), identities, Identity::id);
            TableLoader.load(config.kafka(), topics.policies(), policies, Policy::group);

            ForwarderSettings forwarding = ForwarderSettings.from(settings);
            Optional<ExportTarget> target = ExportTarget.from(settings, forwarding);
            // a role that failed for good ends the demo as Ctrl-C would, and the demo says why
            FatalFailure fatal = (reason, cause) -> {
                failure.compareAndSet(null, reason);
                stop.countDown();
            };
            try (Application app = new Application(Application.Role.ALL, config, forwarding, target, HttpSettings.from(settings), fatal).start();
                 LineSource source = source(kafka, config, topics, work);
                 TopicWatch watch = new TopicWatch(kafka.bootstrapServers(), topics, new WindowClosing(
                         String.valueOf(config.kafka().get(StreamsConfig.APPLICATION_ID_CONFIG)), config.windows(), PARTITIONS),
                         options.aggregatesOut(), options.alertsOut())) {
                Thread watching = daemon(watch, "demo-watch");
                Thread shipping = daemon(source, "demo-source");
                printWelcome(kafka, app, target, source);
                Summary summary = await(app, source, watch, config.windows().emit() == WindowSettings.EmitMode.FINAL);
                // where the summary's dead letters went, for the operator; scripts read the summary line
                if (summary.deadLetters() > 0) {
                    out.println("dead letters by reason: " + watch.lineDeadLettersByReason());
                }
                if (watch.unwindowedRequests() > 0) {
                    out.println("requests in no window: " + watch.unwindowedRequests() + " (logged after their window closed: dead letters with reason late)");
                }
                source.stop();
                shipping.join(10_000);
                watch.close();
                watching.join(10_000);
                return summary;
            } finally {
                target.ifPresent(ExportTarget::close);
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private LineSource source(EmbeddedKafka kafka, PipelineConfig config, Topics topics, Path work) {
        if (options.caddyLog() == null) {
            return new SampleReplay(kafka.bootstrapServers(), topics.access().name(), !options.untilIdle());
        }
        return new FollowedLog(options.caddyLog().toAbsolutePath(), work.resolve("ship.checkpoint"), config.kafka(), config.topics(),
                config.logFormat().maxClockSkew());
    }

    /** @param finalWindows whether windows are written once, as they close, rather than as they fill */
    private Summary await(Application app, LineSource source, TopicWatch watch, boolean finalWindows) throws InterruptedException {
        long idleNanos = TimeUnit.SECONDS.toNanos(options.idleSeconds());
        ProgressText text = new ProgressText(() -> summary(app, source, watch));
        // since when every line has been processed and the windows they close are still closing; 0 while lines are not
        long closingSince = 0;
        try (ProgressLine progress = ProgressLine.start(new PrintWriter(err, true), "demo: ", Duration.ofSeconds(5), text::next)) {
            while (!stop.await(500, TimeUnit.MILLISECONDS)) {
                if (source.failure() != null) {
                    throw new IllegalStateException(source.failure());
                }
                Summary now = summary(app, source, watch);
                if (!options.untilIdle() || !source.caughtUp() || System.nanoTime() - source.lastLineNanos() < idleNanos
                        || !isComplete(app, watch, now, finalWindows)) {
                    closingSince = 0;
                    text.closing(false);
                    continue;
                }
                // only the alerts and final windows wait for windows to close: otherwise a short log that left a
                // partition without lines need not wait the merging tasks' hold for its task
                if ((options.alertsOut() == null && !finalWindows) || watch.windowsClosed()) {
                    return now;
                }
                closingSince = closingSince == 0 ? System.nanoTime() : closingSince;
                text.closing(true);
                // the merging tasks close what they will within the hold and a tick (every second): past twice the
                // hold, what is still open waits for more lines, and the demo says so rather than wait for ever
                if (System.nanoTime() - closingSince > 2 * WindowClosing.LONGEST_HOLD.toNanos()) {
                    out.println("windows left open: " + watch.closingText() + "; what they would write when they close is not written");
                    return now;
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException(failure.get());
            }
            return summary(app, source, watch);
        }
    }

    /** The progress line: how far the demo got, and how fast since the last line. */
    private static final class ProgressText {
        private final Supplier<Summary> summary;
        private long lastLines;
        private long lastAt = System.nanoTime();
        /** Whether every line is done and the demo waits for windows to close, which may take half a minute of nothing new. */
        private volatile boolean closing;

        ProgressText(Supplier<Summary> summary) {
            this.summary = summary;
        }

        String next() {
            Summary s = summary.get();
            long now = System.nanoTime();
            long rate = Math.round((s.lines() - lastLines) / Math.max(1e-3, (now - lastAt) / 1e9));
            lastLines = s.lines();
            lastAt = now;
            long backlog = Math.max(0, s.lines() - s.requests() - s.skipped() - s.deadLetters());
            return String.format("lines %,d (%,d/s) · requests %,d · dead letters %,d · spans acknowledged %,d · windows %,d · lag %,d%s",
                    s.lines(), rate, s.requests(), s.deadLetters(), s.spans(), s.windows(), backlog,
                    closing ? " · waiting for windows to close" : "");
        }

        void closing(boolean waiting) {
            closing = waiting;
        }
    }

    /**
     * Every line ended somewhere, every span on the topic was acknowledged, every request is in a window or dead-lettered
     * as late. Final windows are written as they close, and the last ones of a log stay open (no later line closes them):
     * the requests they hold are in no window written yet, and their closing is waited for instead.
     */
    private static boolean isComplete(Application app, TopicWatch watch, Summary s, boolean finalWindows) {
        boolean processed = s.requests() + s.skipped() + s.deadLetters() == s.lines();
        boolean exported = app.forwarder().map(f -> f.acknowledgedSpans() >= watch.spans() && f.isIdle()).orElse(true);
        boolean aggregated = finalWindows || watch.aggregatedRequests() + watch.unwindowedRequests() == s.requests();
        return processed && exported && aggregated;
    }

    /** lines = requests + skipped + dead letters: a late request is a request (it has its span), not a dead letter. */
    private static Summary summary(Application app, LineSource source, TopicWatch watch) {
        long spans = app.forwarder().map(SpanForwarder::acknowledgedSpans).orElse(0L);
        long sampledOut = streamsMetric(app, "spans-sampled-total", SpanStage.samplingMetricEntity("dropped", "ratio"));
        return new Summary(source.lines(), watch.requests() + sampledOut, streamsMetric(app, "lines-skipped-total", null),
                watch.lineDeadLetters(), spans, watch.windows(), sampledOut);
    }

    /** A counter of the pipeline's own Streams metrics, summed over tasks; of one entity, or of all when null. */
    private static long streamsMetric(Application app, String name, String entity) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> m : app.streams().orElseThrow().streams().metrics().entrySet()) {
            MetricName key = m.getKey();
            if (key.group().equals("stream-caddy-lightstep-metrics") && key.name().equals(name)
                    && (entity == null || entity.equals(key.tags().get("caddy-lightstep-id")))) {
                sum += ((Number) m.getValue().metricValue()).doubleValue();
            }
        }
        return (long) sum;
    }

    private void printWelcome(EmbeddedKafka kafka, Application app, Optional<ExportTarget> target, LineSource source) {
        out.println("caddy-lightstep demo");
        out.println("  kafka      " + kafka.bootstrapServers() + " (embedded, data in " + kafka.dataDir() + ")");
        out.println("  dashboard  http://127.0.0.1:" + app.httpPort() + "/");
        out.println("  metrics    http://127.0.0.1:" + app.httpPort() + "/metrics");
        out.println("  input      " + source.description());
        out.println("  spans      " + target.map(t -> "forwarded: " + t.description())
                .orElse("stay on topic caddy.spans: set OTEL_EXPORTER_OTLP_ENDPOINT or LS_ACCESS_TOKEN to forward them"));
        out.println(options.untilIdle() ? "  stops once all input is processed and idle for " + options.idleSeconds() + " s" : "  Ctrl-C to stop");
        out.flush();
    }

    private Settings withFreePortIfTaken(Settings settings, Map<String, String> raw) {
        HttpSettings http = HttpSettings.from(settings);
        if (http.port() == 0 || isFree(http.host(), http.port())) {
            return settings;
        }
        err.println("port " + http.port() + " is taken; the dashboard uses a free port instead");
        raw.put("caddy.http.port", "0");
        return Settings.load(null, System.getenv(), raw);
    }

    private static boolean isFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path bundled(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = Demo.class.getResourceAsStream("/demo/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
