package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.topology.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The processes of one soak, each in a JVM of its own: Kafka ({@link SoakKafka}: a broker, or a controller and three
 * brokers) on data directories that survive their restarts, the OTLP receiver, the application instances (one
 * application.id, both roles, a state directory and an HTTP port each) and the shipper following the soak's log file.
 * Everything lives under the run's directory, logs in {@code logs/}.
 */
final class SoakCluster implements AutoCloseable {
    /** The instances' heap: a pod of about 2 GB would give them this much. */
    private static final String INSTANCE_HEAP = "-Xmx1g";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    private final Path runDir;
    private final Path logDir;
    private final Path appJar;
    private final SoakKafka kafka;
    private final int receiverPort;
    private final ChildProcess receiver;
    private final List<ChildProcess> instances = new ArrayList<>();
    private final ChildProcess shipper;
    private final Path accessLog;
    private final Path receivedSpans;
    private final List<Integer> httpPorts;

    SoakCluster(Path runDir, Path appJar, int instanceCount, int brokers) {
        this.runDir = runDir;
        this.logDir = runDir.resolve("logs");
        this.appJar = appJar;
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.kafka = SoakKafka.of(brokers, runDir, logDir);
        List<Integer> ports = LoopbackPorts.free(1 + instanceCount);
        this.receiverPort = ports.get(0);
        this.httpPorts = List.copyOf(ports.subList(1, ports.size()));
        this.accessLog = runDir.resolve("access.log");
        this.receivedSpans = runDir.resolve("received-spans.bin");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String benchClasspath = System.getProperty("java.class.path");
        this.receiver = new ChildProcess("receiver", List.of(java, "-XX:+UseG1GC", "-Xmx512m", "-cp", benchClasspath,
                SoakReceiver.class.getName(), Integer.toString(receiverPort), receivedSpans.toString()), Map.of(), logDir);
        Map<String, String> otlp = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiverPort,
                "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        for (int i = 0; i < instanceCount; i++) {
            List<String> command = new ArrayList<>(List.of(java, "-XX:+UseG1GC", INSTANCE_HEAP, "-jar", appJar.toString(),
                    "run", "--bootstrap-servers", bootstrapServers(), "--set", "caddy.http.port=" + httpPorts.get(i),
                    "--set", "state.dir=" + runDir.resolve("state-" + (i + 1))));
            if (kafka.replicas() > 1) {
                // as the production overlay: Kafka Streams' changelog and repartition topics with as many replicas as the
                // application's own, whatever the cluster's default; their min.insync.replicas is the cluster's
                command.addAll(List.of("--set", "replication.factor=" + kafka.replicas()));
            }
            instances.add(new ChildProcess("instance-" + (i + 1), command, otlp, logDir));
        }
        this.shipper = new ChildProcess("shipper", List.of(java, "-XX:+UseG1GC", "-Xmx256m", "-jar", appJar.toString(),
                "ship", "--file", accessLog.toString(), "--from-beginning", "--checkpoint", runDir.resolve("ship.checkpoint").toString(),
                "--bootstrap-servers", bootstrapServers(), "--progress-interval", "0"), Map.of(), logDir);
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    SoakKafka kafka() {
        return kafka;
    }

    Path accessLog() {
        return accessLog;
    }

    Path receivedSpans() {
        return receivedSpans;
    }

    /** Broker, topics (`topics create`), tables, receiver, instances (until ready), shipper: the order a deployment starts in. */
    void start() {
        kafka.start();
        createTopics();
        TableLoader.load(Map.of("bootstrap.servers", bootstrapServers()), Topics.of(TopicNames.DEFAULTS).identities(),
                SiteTables.identities(), Identity::id);
        TableLoader.load(Map.of("bootstrap.servers", bootstrapServers()), Topics.of(TopicNames.DEFAULTS).policies(),
                SiteTables.policies(), Policy::group);
        startReceiver();
        instances.forEach(ChildProcess::start);
        for (int i = 0; i < instances.size(); i++) {
            int port = httpPorts.get(i);
            ChildProcess instance = instances.get(i);
            instance.await(() -> isReady(port), "answering 200 on /health/ready", READY_TIMEOUT);
        }
        try {
            Files.createFile(accessLog);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        shipper.start();
        shipper.awaitOutput("shipping ", "shipping", READY_TIMEOUT);
    }

    void killAndRestartInstance(int instance) {
        instances.get(instance).kill();
        instances.get(instance).start();
    }

    /** A clean stop (SIGTERM) of the first broker, {@code down} without it, and a start on the same data directory and port. */
    void restartBroker(Duration down) throws InterruptedException {
        kafka.stop(0);
        Thread.sleep(down.toMillis());
        kafka.start(0);
    }

    void stopReceiver() {
        receiver.kill();
    }

    void startReceiver() {
        receiver.start();
        receiver.awaitOutput(SoakReceiver.READY, "listening", READY_TIMEOUT);
    }

    /** Samples each process's peak memory and starts again any that ended by itself (see {@link #unexpectedExits()}). */
    void supervise(String when) {
        for (ChildProcess child : children()) {
            child.sampleMemory();
            child.restartIfEnded(when);
        }
    }

    /** Peak RSS in kB by process name, the highest of each process's incarnations. */
    Map<String, Long> peakRssKb() {
        Map<String, Long> peaks = new LinkedHashMap<>();
        for (ChildProcess child : children()) {
            child.sampleMemory();
            peaks.put(child.name(), child.peakRssKb());
        }
        return peaks;
    }

    List<String> unexpectedExits() {
        return children().stream().flatMap(c -> c.unexpectedExits().stream()).toList();
    }

    /**
     * Threads that died of an exception nothing caught ("Exception in thread" in a log): a dead forwarder or shipper
     * thread leaves its process running, so an exit alone does not show it. One line each, with the log it is in.
     */
    List<String> threadDeaths() {
        List<String> deaths = new ArrayList<>();
        for (ChildProcess child : children()) {
            for (Path log : child.logs()) {
                for (String line : lines(log)) {
                    if (line.startsWith("Exception in thread ")) {
                        deaths.add(child.name() + ": " + line + " (" + runDir.relativize(log) + ")");
                    }
                }
            }
        }
        return deaths;
    }

    /** Log lines at ERROR, by process, over all its incarnations. */
    Map<String, Long> errorLines() {
        Map<String, Long> errors = new LinkedHashMap<>();
        for (ChildProcess child : children()) {
            long count = 0;
            for (Path log : child.logs()) {
                count += lines(log).stream().filter(line -> line.contains(" ERROR ")).count();
            }
            errors.put(child.name(), count);
        }
        return errors;
    }

    /** Kills every process at once: the figures are taken, nothing is left to commit. */
    @Override
    public void close() {
        List<ChildProcess> all = new ArrayList<>(children());
        java.util.Collections.reverse(all);
        all.forEach(ChildProcess::kill);
    }

    private List<ChildProcess> children() {
        List<ChildProcess> all = new ArrayList<>(kafka.processes());
        all.add(receiver);
        all.addAll(instances);
        all.add(shipper);
        return all;
    }

    private void createTopics() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-jar", appJar.toString(), "topics", "create", "--bootstrap-servers", bootstrapServers()));
        if (kafka.replicas() > 1) {
            command.addAll(List.of("--set", "caddy.topics.replication-factor=" + kafka.replicas(),
                    "--set", "caddy.topics.min-insync-replicas=" + kafka.minInsyncReplicas()));
        }
        ChildProcess topics = new ChildProcess("topics-create", command, Map.of(), logDir).start();
        int code = topics.awaitExitCode(Duration.ofMinutes(2));
        if (code != 0) {
            throw new IllegalStateException("topics create ended with " + code + ": " + topics.currentOutput().strip());
        }
    }

    private static boolean isReady(int port) {
        try {
            HttpResponse<Void> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static List<String> lines(Path log) {
        try (var lines = Files.lines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            return lines.toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }
}
