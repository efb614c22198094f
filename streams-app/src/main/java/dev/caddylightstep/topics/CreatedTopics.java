package dev.caddylightstep.topics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Topics just created, as the clients that come next see them. The controller answers a creation once it has decided
 * it, and a broker applies it a moment later: a client that asked that broker in between (a shipper checking its
 * topics at its start) was told that a topic just made does not exist.
 */
public final class CreatedTopics {
    /** Far longer than a topic takes to reach a broker, even on a loaded machine. */
    public static final Duration DESCRIBED_WITHIN = Duration.ofSeconds(30);

    private CreatedTopics() {
    }

    /**
     * Returns once the broker the admin asks describes every topic named that the admin may describe: one that a
     * principal allowed to create topics may not describe gives nothing to wait on. Throws once {@link #DESCRIBED_WITHIN}
     * has passed without.
     *
     * @throws ExecutionException the broker's answer for a topic when it is not that the topic is unknown, or, after the
     *                            time allowed, that one still is
     */
    public static void awaitDescribed(Admin admin, Collection<String> names) throws ExecutionException, InterruptedException {
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
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(20);
                }
            }
        }
    }
}
