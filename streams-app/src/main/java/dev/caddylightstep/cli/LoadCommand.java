package dev.caddylightstep.cli;

import dev.caddylightstep.config.ConfigLoader;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.config.TopicNames;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.IdentitiesFile;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.topology.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code load identities|policies FILE}: validates a YAML file and writes it to its compacted topic, all or nothing. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load identities.yaml into edge.identities or policies.yaml into edge.policies (all entries or none).")
final class LoadCommand implements Callable<Integer> {
    enum Table { identities, policies }

    @Parameters(index = "0", description = "identities or policies")
    Table table;

    @Parameters(index = "1", paramLabel = "FILE", description = "The YAML file.")
    Path file;

    @Mixin
    SettingsOptions options;

    @Override
    public Integer call() {
        OneShotLogging.silenceKafkaClients();
        Settings settings = options.load();
        TopicNames names = ConfigLoader.topics(settings);
        Topics topics = Topics.of(names);
        int written;
        if (table == Table.identities) {
            List<Identity> identities = IdentitiesFile.read(file);
            Brokers.requireReachable(settings.kafka());
            written = TableLoader.load(settings.kafka(), topics.identities(), identities, Identity::id);
            System.out.println("loaded " + written + " identities into " + names.identities());
        } else {
            List<Policy> policies = PoliciesFile.read(file);
            Brokers.requireReachable(settings.kafka());
            written = TableLoader.load(settings.kafka(), topics.policies(), policies, Policy::group);
            System.out.println("loaded " + written + " policies into " + names.policies());
        }
        return 0;
    }
}
