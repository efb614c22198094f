package dev.caddylightstep.cli;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.TopicNames;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code load identities|policies FILE}: validates a YAML file and makes its compacted topic equal it, all or nothing. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Make edge.identities equal identities.yaml, or edge.policies equal policies.yaml, in one transaction: "
                + "entries new or changed are written, and entries the file no longer has are deleted (unless --merge).",
                "Prints: loaded N, updated M, deleted K. N is the number of entries in the file, M how many were written because "
                + "the table did not have them or had another value, K how many the table had and the file has not, deleted "
                + "(always 0 with --merge)."})
final class LoadCommand implements Callable<Integer> {
    enum Table { identities, policies }

    @Parameters(index = "0", description = "identities or policies")
    Table table;

    @Parameters(index = "1", paramLabel = "FILE", description = "The YAML file.")
    Path file;

    @Option(names = "--merge", description = "Keep the entries of the table that the file does not have: only add and update.")
    boolean merge;

    @Mixin
    SettingsOptions options;

    @Override
    public Integer call() {
        OneShotLogging.silenceKafkaClients();
        Settings settings = options.load();
        TopicNames names = settings.topicNames();
        Topics topics = Topics.of(names);
        TableLoader.Absent absent = merge ? TableLoader.Absent.KEPT : TableLoader.Absent.DELETED;
        TableLoader.Outcome outcome;
        if (table == Table.identities) {
            List<Identity> identities = IdentitiesFile.read(file);
            Brokers.requireReachable(settings.kafka());
            outcome = TableLoader.load(settings.kafka(), topics.identities(), identities, Identity::id, absent);
            System.out.println(outcome.summary() + " (identities, " + names.identities() + ")");
        } else {
            List<Policy> policies = PoliciesFile.read(file);
            Brokers.requireReachable(settings.kafka());
            outcome = TableLoader.load(settings.kafka(), topics.policies(), policies, Policy::group, absent);
            System.out.println(outcome.summary() + " (policies, " + names.policies() + ")");
        }
        return 0;
    }
}
