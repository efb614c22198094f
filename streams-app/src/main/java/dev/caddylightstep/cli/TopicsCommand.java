package dev.caddylightstep.cli;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.CreatedTopics;
import dev.caddylightstep.topics.TopicLayout;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code topics create}: makes the application's topics with their partitions, compaction and retention. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Manage the application's topics.")
final class TopicsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "create", description = "create: make the topics that do not exist yet")
    String action;

    @Mixin
    SettingsOptions options;

    @Override
    public Integer call() throws InterruptedException {
        if (!action.equals("create")) {
            throw new UserError("topics: unknown action '" + action + "' (allowed: create)");
        }
        OneShotLogging.silenceKafkaClients();
        Settings settings = options.load();
        List<NewTopic> topics = TopicLayout.topics(settings.topicNames(),
                settings.integer("caddy.topics.partitions", 1, 10_000),
                (short) settings.integer("caddy.topics.replication-factor", -1, Short.MAX_VALUE),
                settings.integer("caddy.topics.min-insync-replicas", -1, Short.MAX_VALUE));
        Brokers.requireReachable(settings.kafka());
        try (Admin admin = Admin.create(KafkaClientProperties.admin(settings.kafka()))) {
            Set<String> existing = admin.listTopics().names().get();
            for (NewTopic topic : topics) {
                if (existing.contains(topic.name())) {
                    System.out.println("exists   " + topic.name());
                    continue;
                }
                try {
                    admin.createTopics(List.of(topic)).all().get();
                    System.out.println("created  " + topic.name() + " " + topic.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new UserError("cannot create topic " + topic.name() + ": " + e.getCause().getMessage());
                    }
                }
            }
            // done once a client that starts next finds them: `topics create && ship ...` in a script
            List<String> names = topics.stream().map(NewTopic::name).toList();
            try {
                CreatedTopics.awaitDescribed(admin, names);
            } catch (ExecutionException e) {
                throw new UserError("topics created, but Kafka does not describe them all after " + CreatedTopics.DESCRIBED_WITHIN.toSeconds()
                        + " s: " + e.getCause().getMessage());
            }
        } catch (ExecutionException e) {
            throw new UserError("cannot list topics: " + e.getCause().getMessage());
        }
        return 0;
    }
}
