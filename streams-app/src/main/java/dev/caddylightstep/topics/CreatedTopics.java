package dev.caddylightstep.topics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Topics just created, as the clients that come next see them. The controller answers a creation once it has decided
 * it, and a broker applies it a moment later: a client that asked that broker in between (a shipper checking its
 * topics at its start) was told that a topic just made does not exist.
 */
public final class CreatedTopics {
    /** Far longer than a topic takes to reach a broker, even on a loaded machine. */
    private static final Duration DESCRIBED_WITHIN = Duration.ofSeconds(30);

    private CreatedTopics() {
    }

    /**
     * Creates each topic that does not exist yet (one another client made meanwhile is left as it is), tells {@code made}
     * of each it created, and returns once the broker describes them all ({@link #awaitDescribed}).
     *
     * @throws ExecutionException saying which topic Kafka refused to create, or which it does not describe in time, and why
     */
    public static void create(Admin admin, Collection<NewTopic> topics, Consumer<NewTopic> made) throws ExecutionException, InterruptedException {
        // one request; Kafka answers for each topic apart, so one that exists fails none of the others
        Map<String, KafkaFuture<Void>> created = admin.createTopics(topics).values();
        for (NewTopic topic : topics) {
            try {
                created.get(topic.name()).get();
                made.accept(topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new ExecutionException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
        awaitDescribed(admin, topics.stream().map(NewTopic::name).toList());
    }

    /**
     * Returns once the broker the admin asks describes every topic named that the admin may describe: one that a
     * principal allowed to create topics may not describe gives nothing to wait on.
     *
     * @throws ExecutionException saying which topic Kafka does not describe, and why: an answer other than that it is
     *                            unknown, or, after {@link #DESCRIBED_WITHIN}, that it still is
     */
    private static void awaitDescribed(Admin admin, Collection<String> names) throws ExecutionException, InterruptedException {
        long deadline = System.nanoTime() + DESCRIBED_WITHIN.toNanos();
        for (String name : names) {
            while (true) {
                try {
                    admin.describeTopics(List.of(name)).allTopicNames().get();
                    break;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicAuthorizationException) {
                        break;
                    }
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw new ExecutionException("cannot describe topic " + name + ": " + e.getCause().getMessage(), e.getCause());
                    }
                    if (System.nanoTime() > deadline) {
                        throw new ExecutionException("topic " + name + " created, but Kafka does not describe it after "
                                + DESCRIBED_WITHIN.toSeconds() + " s: " + e.getCause().getMessage(), e.getCause());
                    }
                    Thread.sleep(20);
                }
            }
        }
    }
}
