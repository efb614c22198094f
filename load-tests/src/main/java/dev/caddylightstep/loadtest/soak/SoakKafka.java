package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.broker.LoopbackPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * The soak's Kafka, each node in a JVM of its own on a data directory that outlives it: one combined broker and
 * controller ({@link SoakBroker}, the product's embedded broker), or a controller and three brokers ({@link KraftNode})
 * that replicate everything three times. Brokers are numbered from 0 here; a cluster's are named broker-1 to broker-3
 * after their node ids.
 *
 * <p>One controller, the quorum's only voter: no fault of the soak touches it, and two more JVMs replicating the
 * metadata log would take CPU from the brokers and instances on a small machine without being put to the test.
 * A production quorum has three (see deploy/README.md).
 */
final class SoakKafka {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    private static final int CONTROLLER_ID = 0;
    /** A broker's heap, as the single broker's; the controller holds the metadata only. */
    private static final String BROKER_HEAP = "-Xmx1g";
    private static final String CONTROLLER_HEAP = "-Xmx512m";

    private final List<ChildProcess> brokers;
    private final List<Integer> ports;
    private final ChildProcess controller;
    private final List<Path> dataDirs;
    private final String readyMarker;

    private SoakKafka(List<ChildProcess> brokers, List<Integer> ports, ChildProcess controller, List<Path> dataDirs, String readyMarker) {
        this.brokers = List.copyOf(brokers);
        this.ports = List.copyOf(ports);
        this.controller = controller;
        this.dataDirs = List.copyOf(dataDirs);
        this.readyMarker = readyMarker;
    }

    /** The soak's Kafka of {@code brokers} brokers: 1, or 3 with a controller of their own. */
    static SoakKafka of(int brokers, Path runDir, Path logDir) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        if (brokers == 1) {
            int port = LoopbackPorts.free(1).get(0);
            Path data = runDir.resolve("broker");
            ChildProcess broker = new ChildProcess("broker", List.of(java, "-XX:+UseG1GC", BROKER_HEAP, "-cp", classpath,
                    SoakBroker.class.getName(), data.toString(), Integer.toString(port)), Map.of(), logDir);
            return new SoakKafka(List.of(broker), List.of(port), null, List.of(data), SoakBroker.READY);
        }
        if (brokers != KraftNodeConfig.REPLICAS) {
            throw new IllegalArgumentException("brokers: 1 or " + KraftNodeConfig.REPLICAS + ", not " + brokers);
        }
        List<Integer> free = LoopbackPorts.free(brokers + 1);
        int controllerPort = free.get(brokers);
        String clusterId = Uuid.randomUuid().toString();
        Path controllerData = runDir.resolve("controller");
        ChildProcess controller = node(java, classpath, "controller", CONTROLLER_HEAP, new KraftNodeConfig(KraftNodeConfig.Role.CONTROLLER,
                CONTROLLER_ID, clusterId, controllerPort, CONTROLLER_ID, controllerPort, controllerData), logDir);
        List<ChildProcess> nodes = new ArrayList<>();
        List<Path> data = new ArrayList<>(List.of(controllerData));
        for (int i = 0; i < brokers; i++) {
            int nodeId = i + 1;
            Path dir = runDir.resolve("broker-" + nodeId);
            data.add(dir);
            nodes.add(node(java, classpath, "broker-" + nodeId, BROKER_HEAP, new KraftNodeConfig(KraftNodeConfig.Role.BROKER, nodeId, clusterId,
                    free.get(i), CONTROLLER_ID, controllerPort, dir), logDir));
        }
        return new SoakKafka(nodes, free.subList(0, brokers), controller, data, KraftNode.READY);
    }

    private static ChildProcess node(String java, String classpath, String name, String heap, KraftNodeConfig config, Path logDir) {
        List<String> command = new ArrayList<>(List.of(java, "-XX:+UseG1GC", heap, "-cp", classpath, KraftNode.class.getName()));
        command.addAll(config.arguments());
        return new ChildProcess(name, command, Map.of(), logDir);
    }

    String bootstrapServers() {
        return ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
    }

    int brokerCount() {
        return brokers.size();
    }

    /** Replicas of every partition, and how many must have a write before it is acknowledged. */
    int replicas() {
        return controller == null ? 1 : KraftNodeConfig.REPLICAS;
    }

    int minInsyncReplicas() {
        return controller == null ? 1 : KraftNodeConfig.MIN_INSYNC_REPLICAS;
    }

    String name(int broker) {
        return brokers.get(broker).name();
    }

    /** The broker of a node id, as the cluster reports leaders and coordinators. */
    int brokerOfNode(int nodeId) {
        int broker = controller == null ? 0 : nodeId - 1;
        if (broker < 0 || broker >= brokers.size()) {
            throw new IllegalArgumentException("no broker has node id " + nodeId);
        }
        return broker;
    }

    /** The controller, then the brokers together; returns once every broker serves. */
    void start() {
        if (controller != null) {
            controller.start();
            controller.awaitOutput(readyMarker, "ready", READY_TIMEOUT);
        }
        brokers.forEach(ChildProcess::start);
        brokers.forEach(broker -> broker.awaitOutput(readyMarker, "ready", READY_TIMEOUT));
    }

    /** Starts a broker again on its data directory and port; returns once it serves. */
    void start(int broker) {
        brokers.get(broker).start();
        brokers.get(broker).awaitOutput(readyMarker, "ready", READY_TIMEOUT);
    }

    /** A clean stop (SIGTERM: a broker of a cluster hands its leaderships over first); SIGKILL after a minute. */
    void stop(int broker) {
        brokers.get(broker).stop(Duration.ofMinutes(1));
    }

    /** SIGKILL: no controlled shutdown, the log not flushed; the controller fences the broker once its session times out. */
    void kill(int broker) {
        brokers.get(broker).kill();
    }

    /** Every process, the controller first. */
    List<ChildProcess> processes() {
        List<ChildProcess> all = new ArrayList<>();
        if (controller != null) {
            all.add(controller);
        }
        all.addAll(brokers);
        return all;
    }

    /** The nodes' data directories, deleted after a soak that passed. */
    List<Path> dataDirs() {
        return dataDirs;
    }
}
