package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * What the soak asks the cluster about its brokers, with the admin client: who leads each partition of a topic, who
 * coordinates the application's transactions and its group, how many partitions miss a replica, how every topic
 * is replicated.
 */
final class ClusterQueries implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Transactions looked for this many times, a moment apart: a stream thread's transaction is open between its commits only. */
    private static final int TRANSACTION_SAMPLES = 10;
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(200);

    private final Admin admin;

    ClusterQueries(String bootstrapServers) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
    }

    /** Each partition of {@code topic} and its leader's node id, -1 for a partition without a leader. */
    Map<Integer, Integer> leaders(String topic) throws InterruptedException {
        TopicDescription description = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        Map<Integer, Integer> leaders = new TreeMap<>();
        for (TopicPartitionInfo partition : description.partitions()) {
            leaders.put(partition.partition(), partition.leader() == null || partition.leader().isEmpty() ? -1 : partition.leader().id());
        }
        return leaders;
    }

    /**
     * The open transactions of the application's stream threads (exactly_once_v2 names each thread's producer
     * APPLICATION_ID-PROCESS_UUID-THREAD_INDEX) and the broker that coordinates each; the loader's transactions, whose
     * ids share the prefix, are not among them.
     */
    Map<String, Integer> transactionCoordinators(String applicationId) throws InterruptedException {
        Pattern streamThread = Pattern.compile(Pattern.quote(applicationId) + "-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-\\d+");
        Set<String> open = new TreeSet<>();
        ListTransactionsOptions ongoing = new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING));
        RuntimeException lastFailure = null;
        for (int i = 0; i < TRANSACTION_SAMPLES; i++) {
            try {
                for (TransactionListing listing : get(admin.listTransactions(ongoing).all())) {
                    if (streamThread.matcher(listing.transactionalId()).matches()) {
                        open.add(listing.transactionalId());
                    }
                }
            } catch (IllegalStateException e) {
                // every broker is asked: one that restarted moments ago may not be known yet ("Unexpected key set")
                lastFailure = e;
            }
            Thread.sleep(SAMPLE_EVERY.toMillis());
        }
        if (open.isEmpty() && lastFailure != null) {
            throw lastFailure;
        }
        Map<String, Integer> coordinators = new TreeMap<>();
        if (!open.isEmpty()) {
            get(admin.describeTransactions(open).all()).forEach((id, description) -> coordinators.put(id, description.coordinatorId()));
        }
        return coordinators;
    }

    /** The broker that coordinates {@code group}, its commits and, under exactly-once, the offsets its transactions carry. */
    OptionalInt groupCoordinator(String group) throws InterruptedException {
        Node coordinator = get(admin.describeConsumerGroups(List.of(group)).all()).get(group).coordinator();
        return coordinator == null || coordinator.isEmpty() ? OptionalInt.empty() : OptionalInt.of(coordinator.id());
    }

    /** Partitions, of every topic Kafka's own included, with fewer replicas in sync than assigned. */
    int underReplicatedPartitions() throws InterruptedException {
        return underReplicated(describeAll().values());
    }

    static int underReplicated(Collection<TopicDescription> topics) {
        int count = 0;
        for (TopicDescription topic : topics) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                if (partition.isr().size() < partition.replicas().size()) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Every topic, Kafka's own and Kafka Streams' included: its fewest replicas and its min.insync.replicas. */
    List<TopicReplication> replication() throws InterruptedException {
        Map<String, TopicDescription> topics = describeAll();
        List<ConfigResource> resources = topics.keySet().stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all());
        List<TopicReplication> replication = new ArrayList<>();
        for (TopicDescription topic : new TreeMap<>(topics).values()) {
            int replicas = topic.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
            String minInsync = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()))
                    .get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value();
            replication.add(new TopicReplication(topic.name(), replicas, Integer.parseInt(minInsync)));
        }
        return replication;
    }

    private Map<String, TopicDescription> describeAll() throws InterruptedException {
        Set<String> names = get(admin.listTopics(new ListTopicsOptions().listInternal(true)).names());
        return get(admin.describeTopics(names).allTopicNames());
    }

    private static <T> T get(KafkaFuture<T> future) throws InterruptedException {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the cluster did not answer in " + TIMEOUT.toSeconds() + " s", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
