package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.broker.EmbeddedKafka;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of one node of the soak's cluster: a KRaft controller, or a broker that replicates every partition
 * three times and acknowledges a write once two replicas have it, as a production cluster is set up. The application's
 * topics, Kafka Streams' own and the consumer offsets and transaction state all take these.
 *
 * @param controllerId the node id of the one controller, the quorum's only voter
 */
record KraftNodeConfig(Role role, int nodeId, String clusterId, int port, int controllerId, int controllerPort, Path dataDir) {
    static final int REPLICAS = 3;
    static final int MIN_INSYNC_REPLICAS = 2;
    /** Partitions of the consumer offsets and transaction state topics: two coordinators' partitions on each broker. */
    private static final int COORDINATOR_PARTITIONS = 6;

    /** What a node of the cluster does. */
    enum Role { CONTROLLER, BROKER }

    /** From the arguments of {@link KraftNode}, as {@link #arguments()} makes them. */
    static KraftNodeConfig parse(List<String> args) {
        if (args.size() != 7) {
            throw new IllegalArgumentException("arguments: controller|broker NODE_ID CLUSTER_ID PORT CONTROLLER_ID CONTROLLER_PORT DATA_DIR, got "
                    + args);
        }
        return new KraftNodeConfig(Role.valueOf(args.get(0).toUpperCase(Locale.ROOT)), Integer.parseInt(args.get(1)), args.get(2),
                Integer.parseInt(args.get(3)), Integer.parseInt(args.get(4)), Integer.parseInt(args.get(5)), Path.of(args.get(6)));
    }

    List<String> arguments() {
        return List.of(role.name().toLowerCase(Locale.ROOT), Integer.toString(nodeId), clusterId, Integer.toString(port),
                Integer.toString(controllerId), Integer.toString(controllerPort), dataDir.toString());
    }

    Path logDir() {
        return dataDir.resolve("log");
    }

    Properties properties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", controllerId + "@127.0.0.1:" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("log.dirs", logDir().toString());
        if (role == Role.CONTROLLER) {
            p.put("process.roles", "controller");
            p.put("listeners", "CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT");
            // the controller applies it to a topic created without a replication factor (Kafka 4 warns of it on a broker)
            p.put("default.replication.factor", Integer.toString(REPLICAS));
        } else {
            p.put("process.roles", "broker");
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        }
        // on both roles: the controller elects leaders, the broker enforces a topic's min.insync.replicas and creates
        // the coordinators' topics
        p.put("min.insync.replicas", Integer.toString(MIN_INSYNC_REPLICAS));
        p.put("offsets.topic.replication.factor", Integer.toString(REPLICAS));
        p.put("offsets.topic.num.partitions", Integer.toString(COORDINATOR_PARTITIONS));
        p.put("transaction.state.log.replication.factor", Integer.toString(REPLICAS));
        p.put("transaction.state.log.min.isr", Integer.toString(MIN_INSYNC_REPLICAS));
        p.put("transaction.state.log.num.partitions", Integer.toString(COORDINATOR_PARTITIONS));
        p.put("share.coordinator.state.topic.replication.factor", Integer.toString(REPLICAS));
        p.put("share.coordinator.state.topic.min.isr", Integer.toString(MIN_INSYNC_REPLICAS));
        // a replica that was out of sync never becomes leader: a write acknowledged by two replicas is never lost
        p.put("unclean.leader.election.enable", "false");
        p.put("auto.create.topics.enable", "false");
        // as the soak's single broker (EmbeddedKafka), so that the two soaks differ by the cluster alone: a group's
        // first member does not wait 3 s for others, and no log maintenance runs during the soak
        p.put("group.initial.rebalance.delay.ms", "0");
        p.putAll(EmbeddedKafka.DEFERRED_LOG_MAINTENANCE);
        Properties properties = new Properties();
        properties.putAll(p);
        return properties;
    }
}
