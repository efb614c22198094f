package dev.caddylightstep.broker;

import dev.caddylightstep.topics.CreatedTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka cluster (KRaft, combined broker and controller) in this JVM, for the demo,
 * the benchmark and the tests: the real broker, from the Kafka jars, on loopback.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    /**
     * The settings by which a broker of one session does no log maintenance in its first day. Records carry the time
     * Caddy logged them, and a broker deletes by that time, so a replayed log older than a topic's retention (a week;
     * the spans' a day) would lose its lines, spans and windows while they are read: the deleting topics from 30 s
     * after the start (log.initial.task.delay.ms), the compacted and expiring aggregates at every pass of the log
     * cleaner, 15 s apart (log.cleaner.backoff.ms; its first pass comes before any topic exists, unless the broker
     * restarts on its data directory: a test that restarts it replays lines of recent times).
     */
    public static final Map<String, String> DEFERRED_LOG_MAINTENANCE = Map.of(
            "log.initial.task.delay.ms", Long.toString(Duration.ofDays(1).toMillis()),
            "log.cleaner.backoff.ms", Long.toString(Duration.ofDays(1).toMillis()));

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, String> extraProperties;
    private final Map<String, Integer> extraListeners = new LinkedHashMap<>();
    private final Map<String, String> extraListenerProtocols;
    private final List<String> scramArguments;
    private final String clusterId;
    private KafkaRaftServer server;

    private EmbeddedKafka(Builder builder) {
        try {
            this.deleteOnClose = builder.dataDir == null;
            this.dataDir = builder.dataDir != null ? builder.dataDir : Files.createTempDirectory("caddy-lightstep-kafka");
            // one to spare, should the port the builder was given come back among them
            Iterator<Integer> ports = LoopbackPorts.free(3 + builder.listeners.size()).stream()
                    .filter(port -> port != builder.brokerPort).iterator();
            this.brokerPort = builder.brokerPort > 0 ? builder.brokerPort : ports.next();
            this.controllerPort = ports.next();
            for (String name : builder.listeners.keySet()) {
                extraListeners.put(name, ports.next());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the embedded broker's directory", e);
        }
        this.extraProperties = Map.copyOf(builder.properties);
        this.extraListenerProtocols = Map.copyOf(builder.listeners);
        this.scramArguments = List.copyOf(builder.scramArguments);
        this.clusterId = formattedClusterId(dataDir.resolve("log")).orElseGet(() -> Uuid.randomUuid().toString());
    }

    /**
     * The cluster id a kept data directory was formatted with: a broker refuses a directory of another cluster
     * ("Invalid cluster.id"), so a new broker on it must take that id, not a new one.
     */
    private static java.util.Optional<String> formattedClusterId(Path metadataLogDir) {
        Path meta = metadataLogDir.resolve("meta.properties");
        if (!Files.isRegularFile(meta)) {
            return java.util.Optional.empty();
        }
        Properties properties = new Properties();
        try (var in = Files.newInputStream(meta)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + meta, e);
        }
        return java.util.Optional.ofNullable(properties.getProperty("cluster.id"));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats the data directory on first start and starts the broker; returns once it accepts requests. */
    public synchronized EmbeddedKafka start() {
        if (server != null) {
            return this;
        }
        try {
            KafkaConfig config = KafkaConfig.fromProps(brokerProperties(), false);
            format();
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            awaitReady();
            LOG.info("embedded Kafka broker ready at {} (data in {})", bootstrapServers(), dataDir);
            return this;
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("the embedded Kafka broker did not start: " + e.getMessage(), e);
        }
    }

    /** Stops the broker and keeps its data, so that {@link #start()} resumes with the same log. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    @Override
    public void close() {
        stop();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** The bootstrap address of an extra listener, by the name given to {@link Builder#listener}. */
    public String bootstrapServers(String listener) {
        Integer port = extraListeners.get(listener);
        if (port == null) {
            throw new IllegalArgumentException("no listener " + listener);
        }
        return "127.0.0.1:" + port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates the topics that do not exist yet, and returns once the broker describes each ({@link CreatedTopics}). */
    public void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = admin()) {
            CreatedTopics.create(admin, topics, made -> { });
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    private Properties brokerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        StringBuilder listeners = new StringBuilder("PLAINTEXT://127.0.0.1:" + brokerPort);
        StringBuilder advertised = new StringBuilder("PLAINTEXT://127.0.0.1:" + brokerPort);
        StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        extraListeners.forEach((name, port) -> {
            listeners.append(',').append(name).append("://127.0.0.1:").append(port);
            advertised.append(',').append(name).append("://127.0.0.1:").append(port);
            protocols.append(',').append(name).append(':').append(extraListenerProtocols.get(name));
        });
        p.put("listeners", listeners + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", advertised.toString());
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", protocols.toString());
        p.put("log.dirs", dataDir.resolve("log").toString());
        // one node: internal topics cannot have more than one replica, or groups and transactions hang
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        p.put("unclean.leader.election.enable", "false");
        p.putAll(DEFERRED_LOG_MAINTENANCE);
        p.putAll(extraProperties);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private void format() throws Exception {
        Path metaLog = dataDir.resolve("log");
        Files.createDirectories(metaLog);
        Formatter formatter = new Formatter()
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(metaLog.toString()))
                .setMetadataLogDirectory(metaLog.toString())
                .setControllerListenerName("CONTROLLER")
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setIgnoreFormatted(true)
                .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        if (!scramArguments.isEmpty()) {
            formatter.setScramArguments(scramArguments);
        }
        formatter.run();
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, Object> adminConfig = new LinkedHashMap<>();
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
        try (Admin admin = Admin.create(adminConfig)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("broker not ready after 60 s", e.getCause());
                    }
                }
                Thread.sleep(100);
            }
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            List<Path> all = new ArrayList<>(paths.toList());
            java.util.Collections.reverse(all);
            for (Path path : all) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("could not delete the embedded broker's data in {}: {}", root, e.getMessage());
        }
    }

    /** Options of an embedded broker. */
    public static final class Builder {
        private Path dataDir;
        private int brokerPort;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> listeners = new LinkedHashMap<>();
        private final List<String> scramArguments = new ArrayList<>();

        /** Keeps the data in this directory (not deleted on close), so that a new broker can resume it. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        public Builder port(int port) {
            this.brokerPort = port;
            return this;
        }

        /** A broker property, e.g. an extra listener; it replaces the default of the same name. */
        public Builder property(String name, String value) {
            properties.put(name, value);
            return this;
        }

        /**
         * One more listener on a free loopback port, e.g. ("SECURE", "SASL_SSL"); its settings go in as
         * {@link #property} with the prefix listener.name.&lt;name in lower case&gt;.
         */
        public Builder listener(String name, String securityProtocol) {
            listeners.put(name, securityProtocol);
            return this;
        }

        /** A SCRAM credential created when the storage is formatted, in kafka-storage's --add-scram form. */
        public Builder scramCredential(String argument) {
            scramArguments.add(argument);
            return this;
        }

        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }
}
