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
import java.util.function.BooleanSupplier;

/**
 * The processes of one soak, each in a JVM of its own: the broker on a data directory that survives its restarts, the
 * OTLP receiver, the application instances (one application.id, both roles, a state directory and an HTTP port each)
 * and the shipper following the soak's log file. Everything lives under the run's directory, logs in {@code logs/}.
 */
final class SoakCluster implements AutoCloseable {
    /** The instances' heap: a pod of about 2 GB would give them this much. */
    private static final String INSTANCE_HEAP = "-Xmx1g";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    private final Path runDir;
    private final Path logDir;
    private final Path appJar;
    private final int brokerPort;
    private final int receiverPort;
    private final ChildProcess broker;
    private final ChildProcess receiver;
    private final List<ChildProcess> instances = new ArrayList<>();
    private final ChildProcess shipper;
    private final Path accessLog;
    private final Path receivedSpans;
    private final List<Integer> httpPorts;

    SoakCluster(Path runDir, Path appJar, int instanceCount) {
        this.runDir = runDir;
        this.logDir = runDir.resolve("logs");
        this.appJar = appJar;
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Integer> ports = LoopbackPorts.free(2 + instanceCount);
        this.brokerPort = ports.get(0);
        this.receiverPort = ports.get(1);
        this.httpPorts = List.copyOf(ports.subList(2, ports.size()));
        this.accessLog = runDir.resolve("access.log");
        this.receivedSpans = runDir.resolve("received-spans.bin");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String benchClasspath = System.getProperty("java.class.path");
        this.broker = new ChildProcess("broker", List.of(java, "-XX:+UseG1GC", "-Xmx1g", "-cp", benchClasspath,
                SoakBroker.class.getName(), runDir.resolve("broker").toString(), Integer.toString(brokerPort)), Map.of(), logDir);
        this.receiver = new ChildProcess("receiver", List.of(java, "-XX:+UseG1GC", "-Xmx512m", "-cp", benchClasspath,
                SoakReceiver.class.getName(), Integer.toString(receiverPort), receivedSpans.toString()), Map.of(), logDir);
        Map<String, String> otlp = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiverPort,
                "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        for (int i = 0; i < instanceCount; i++) {
            instances.add(new ChildProcess("instance-" + (i + 1), List.of(java, "-XX:+UseG1GC", INSTANCE_HEAP, "-jar", appJar.toString(),
                    "run", "--bootstrap-servers", bootstrapServers(), "--set", "caddy.http.port=" + httpPorts.get(i),
                    "--set", "state.dir=" + runDir.resolve("state-" + (i + 1))), otlp, logDir));
        }
        this.shipper = new ChildProcess("shipper", List.of(java, "-XX:+UseG1GC", "-Xmx256m", "-jar", appJar.toString(),
                "ship", "--file", accessLog.toString(), "--from-beginning", "--checkpoint", runDir.resolve("ship.checkpoint").toString(),
                "--bootstrap-servers", bootstrapServers(), "--progress-interval", "0"), Map.of(), logDir);
    }

    String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    Path accessLog() {
        return accessLog;
    }

    Path receivedSpans() {
        return receivedSpans;
    }

    /** Broker, topics (`topics create`), tables, receiver, instances (until ready), shipper: the order a deployment starts in. */
    void start() {
        startBroker();
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
            await(instance, () -> isReady(port), "answering 200 on /health/ready");
        }
        try {
            Files.createFile(accessLog);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        shipper.start();
        await(shipper, () -> shipper.currentOutput().contains("shipping "), "shipping");
    }

    void killAndRestartInstance(int instance) {
        instances.get(instance).kill();
        instances.get(instance).start();
    }

    /** A clean stop (SIGTERM), {@code down} without a broker, and a start on the same data directory and port. */
    void restartBroker(Duration down) throws InterruptedException {
        broker.stop(Duration.ofMinutes(1));
        Thread.sleep(down.toMillis());
        startBroker();
    }

    void stopReceiver() {
        receiver.kill();
    }

    void startReceiver() {
        receiver.start();
        await(receiver, () -> receiver.currentOutput().contains(SoakReceiver.READY), "listening");
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
        List<ChildProcess> all = new ArrayList<>();
        all.add(broker);
        all.add(receiver);
        all.addAll(instances);
        all.add(shipper);
        return all;
    }

    private void startBroker() {
        broker.start();
        await(broker, () -> broker.currentOutput().contains(SoakBroker.READY), "ready");
    }

    private void createTopics() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ChildProcess topics = new ChildProcess("topics-create", List.of(java, "-jar", appJar.toString(), "topics", "create",
                "--bootstrap-servers", bootstrapServers()), Map.of(), logDir).start();
        int code = topics.awaitExitCode(Duration.ofMinutes(2));
        if (code != 0) {
            throw new IllegalStateException("topics create ended with " + code + ": " + topics.currentOutput().strip());
        }
    }

    private static void await(ChildProcess child, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (!child.isAlive()) {
                throw new IllegalStateException(child.name() + " ended before " + what + "; its log: " + child.logs().get(child.logs().size() - 1));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(child.name() + " not " + what + " after " + READY_TIMEOUT.toSeconds() + " s; its log: "
                        + child.logs().get(child.logs().size() - 1));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + child.name());
            }
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
