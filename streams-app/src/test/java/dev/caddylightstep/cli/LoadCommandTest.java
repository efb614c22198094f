package dev.caddylightstep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySerde;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicySerde;
import dev.caddylightstep.testing.CommandRun;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code load} against a real broker: the compacted topic ends up holding what the file says, read as a table reader reads it. */
@ExtendWith(SharedBroker.class)
class LoadCommandTest {
    private static final String FIRST = """
            - {id: alice, group: engineering, tenant: acme, roles: [admin]}
            - {id: bob, group: sales}
            - {id: carol, group: support}
            """;
    /** alice moved to another group, bob left, carol unchanged, dave joined. */
    private static final String SECOND = """
            - {id: alice, group: operations, tenant: acme, roles: [admin]}
            - {id: carol, group: support}
            - {id: dave, group: sales}
            """;
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        kafka = shared;
    }

    private static String freshTopic(int partitions) {
        String topic = "table-" + UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
        return topic;
    }

    /** What the command printed on stdout; fails the test on a non-zero exit. */
    private String load(String table, String topic, String yaml, String... more) throws IOException {
        Path file = Files.writeString(dir.resolve(UUID.randomUUID() + ".yaml"), yaml);
        String[] args = List.of(List.of("load", table, file.toString(), "--bootstrap-servers", kafka.bootstrapServers(),
                "--set", "caddy.topic." + table + "=" + topic), List.of(more)).stream().flatMap(List::stream).toArray(String[]::new);
        CommandRun run = CommandRun.of(args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run.out().strip();
    }

    /** The table as a reader builds it from the topic: the latest value of each key, a tombstone removing its key. */
    private static <V> Map<String, V> table(String topic, int records, Deserializer<V> values) {
        Map<String, V> table = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicRecords.readAtLeast(kafka.bootstrapServers(), topic, records, Duration.ofSeconds(30))) {
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                table.remove(key);
            } else {
                table.put(key, values.deserialize(topic, r.value()));
            }
        }
        return table;
    }

    private static Map<String, String> groups(Map<String, Identity> identities) {
        Map<String, String> groups = new TreeMap<>();
        identities.forEach((id, identity) -> groups.put(id, identity.group()));
        return groups;
    }

    @Test
    void theTableEqualsTheFileLoadedLast() throws IOException {
        String topic = freshTopic(3);
        assertThat(load("identities", topic, FIRST)).startsWith("loaded 3, updated 3, deleted 0");

        assertThat(load("identities", topic, SECOND)).startsWith("loaded 3, updated 2, deleted 1");
        // three records of the first file, then alice, dave and bob's tombstone
        assertThat(groups(table(topic, 6, IdentitySerde.create().deserializer())))
                .isEqualTo(Map.of("alice", "operations", "carol", "support", "dave", "sales"));
    }

    @Test
    void mergeKeepsTheEntriesTheFileDoesNotHave() throws IOException {
        String topic = freshTopic(3);
        load("identities", topic, FIRST);

        assertThat(load("identities", topic, SECOND, "--merge")).startsWith("loaded 3, updated 2, deleted 0");
        assertThat(groups(table(topic, 5, IdentitySerde.create().deserializer())))
                .isEqualTo(Map.of("alice", "operations", "bob", "sales", "carol", "support", "dave", "sales"));
    }

    @Test
    void theSameFileAgainWritesNothing() throws IOException {
        String topic = freshTopic(1);
        load("identities", topic, FIRST);

        assertThat(load("identities", topic, FIRST)).startsWith("loaded 3, updated 0, deleted 0");
        assertThat(TopicRecords.endOffsets(kafka.bootstrapServers(), topic)).as("3 records and the first transaction's marker").isEqualTo(4);
    }

    @Test
    void aGroupRemovedFromThePoliciesNoLongerHasAPolicy() throws IOException {
        String topic = freshTopic(1);
        load("policies", topic, """
                - {group: engineering, allow: ["* /api/**"]}
                - {group: contractors, allow: ["GET /api/**"], latency_slo_ms: 500}
                """);

        assertThat(load("policies", topic, "- {group: engineering, allow: [\"* /api/**\"]}\n")).startsWith("loaded 1, updated 0, deleted 1");
        Map<String, Policy> policies = table(topic, 3, PolicySerde.create().deserializer());
        assertThat(policies).containsOnlyKeys("engineering");
    }
}
