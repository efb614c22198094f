package dev.caddylightstep.topology;

import dev.caddylightstep.config.TopicNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * How each topic should be made: identities and policies compacted (a table keeps its latest entry per key),
 * aggregates compacted and expiring (a dashboard takes the latest value of a window; old windows go), the
 * rest kept for a time. Used by {@code topics create}, the demo and the tests, and checked against the
 * Kubernetes topic resources.
 */
public final class TopicLayout {
    private static final String DAY_MS = Long.toString(24L * 3600 * 1000);
    private static final String WEEK_MS = Long.toString(7L * 24 * 3600 * 1000);
    private static final String TWO_WEEKS_MS = Long.toString(14L * 24 * 3600 * 1000);
    /** Lines up to caddy.log.max-line-bytes (2 MiB by default) plus headers must fit. */
    private static final String LARGE_RECORDS = Integer.toString(4 * 1024 * 1024);

    private TopicLayout() {
    }

    public static List<NewTopic> topics(TopicNames names, int partitions, short replicationFactor) {
        Optional<Integer> p = Optional.of(partitions);
        Optional<Short> rf = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
        return List.of(
                new NewTopic(names.access(), p, rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, WEEK_MS,
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, LARGE_RECORDS)),
                new NewTopic(names.accessDeadLetters(), p, rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, TWO_WEEKS_MS,
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, LARGE_RECORDS)),
                new NewTopic(names.identities(), p, rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(names.policies(), Optional.of(1), rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(names.spans(), p, rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        // the buffer that carries spans through a backend outage: a day from when the span was written,
                        // not from Caddy's time, which a backlog of lines replayed after an outage puts in the past
                        TopicConfig.RETENTION_MS_CONFIG, DAY_MS,
                        TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
                        // a span carries the client's path and query: it may be as large as the application writes
                        // (RecordLimit), and one the broker refused would fail the exactly-once transaction
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, LARGE_RECORDS)),
                new NewTopic(names.spanDeadLetters(), p, rf).configs(Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, TWO_WEEKS_MS,
                        // span records up to caddy.forward.max-export-bytes (2 MiB by default) plus headers
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, LARGE_RECORDS)),
                aggregates(names.latencyByGroup(), p, rf),
                aggregates(names.latencyByRoute(), p, rf));
    }

    private static NewTopic aggregates(String name, Optional<Integer> partitions, Optional<Short> rf) {
        return new NewTopic(name, partitions, rf).configs(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, WEEK_MS));
    }
}
