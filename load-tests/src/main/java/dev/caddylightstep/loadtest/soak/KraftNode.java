package dev.caddylightstep.loadtest.soak;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A node of the soak's three-broker cluster in a process of its own: the controller or a broker, from the same
 * Kafka jars as the product's embedded broker, on a data directory formatted at its first start and kept through its
 * restarts. Says {@link #READY} once it serves (a broker: once the controller has unfenced it). Stops cleanly on
 * SIGTERM, a broker with a controlled shutdown that moves its leaderships first. Arguments: see {@link KraftNodeConfig#parse}.
 */
public final class KraftNode {
    static final String READY = "soak kraft node ready";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    private KraftNode() {
    }

    public static void main(String[] args) throws Exception {
        KraftNodeConfig node = KraftNodeConfig.parse(List.of(args));
        KafkaConfig config = KafkaConfig.fromProps(node.properties(), false);
        format(node);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
            stopped.countDown();
        }, "node-shutdown"));
        server.startup();
        if (node.role() == KraftNodeConfig.Role.BROKER) {
            awaitUnfenced(node);
        }
        System.out.println(READY + ": " + node.role().name().toLowerCase(Locale.ROOT) + " " + node.nodeId());
        stopped.await();
    }

    /** Formats a new data directory; one formatted before (a restart) is left as it is. */
    private static void format(KraftNodeConfig node) throws Exception {
        Files.createDirectories(node.logDir());
        new Formatter()
                .setNodeId(node.nodeId())
                .setClusterId(node.clusterId())
                .setDirectories(List.of(node.logDir().toString()))
                .setMetadataLogDirectory(node.logDir().toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                // as kafka-storage format does: the bootstrap snapshot is the controllers' to write
                .setWriteBootstrapSnapshot(node.role() == KraftNodeConfig.Role.CONTROLLER)
                .setIgnoreFormatted(true)
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .run();
    }

    /** Clients are sent to a broker only once the controller has unfenced it: until then it is not among the cluster's nodes. */
    private static void awaitUnfenced(KraftNodeConfig node) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.port(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000))) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get().stream().map(Node::id).anyMatch(id -> id == node.nodeId())) {
                        return;
                    }
                } catch (ExecutionException e) {
                    // not serving yet, or the controller not reached yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("broker " + node.nodeId() + " not unfenced after " + READY_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(200);
            }
        }
    }
}
