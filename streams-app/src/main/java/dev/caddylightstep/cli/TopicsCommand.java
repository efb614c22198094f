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
                // made once a client that starts next finds it: `topics create && ship ...` in a script
                try {
                    CreatedTopics.create(admin, List.of(topic), made -> System.out.println("created  " + made.name() + " " + made.configs()));
                } catch (ExecutionException e) {
                    throw new UserError(e.getMessage());
                }
            }
        } catch (ExecutionException e) {
            throw new UserError("cannot list topics: " + e.getCause().getMessage());
        }
        return 0;
    }
}
