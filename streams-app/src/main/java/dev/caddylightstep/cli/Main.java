package dev.caddylightstep.cli;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.load.InvalidFileException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The caddy-lightstep command line: wires configuration to the commands, nothing more. */
@Command(name = "caddy-lightstep",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Caddy access logs to OpenTelemetry spans and per-group latency aggregates, on Kafka Streams.",
        subcommands = {DemoCommand.class, RunCommand.class, LoadCommand.class, TopicsCommand.class, ShipCommand.class})
public final class Main {
    private static final EnvironmentSecrets SECRETS = EnvironmentSecrets.of(System.getenv());

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs one command line and returns its exit code. */
    public static int execute(String... args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::oneLineError);
        cli.setParameterExceptionHandler(Main::oneLineUsageError);
        return cli.execute(args);
    }

    /** A mistyped command line: what is wrong and where to read more, in one line. */
    private static int oneLineUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        command.getErr().println(SECRETS.hide("error: " + e.getMessage() + " (see: " + command.getCommandSpec().qualifiedName() + " --help)"));
        return 2;
    }

    /**
     * Errors users can fix are one line naming what and where; anything else is a bug and keeps its trace. Whichever
     * library wrote the message, no secret value of the environment is printed.
     */
    private static int oneLineError(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        if (e instanceof ConfigException || e instanceof InvalidFileException || e instanceof UserError) {
            err.println(SECRETS.hide("error: " + e.getMessage()));
            return 2;
        }
        if (e instanceof RunFailure) {
            err.println(SECRETS.hide("error: " + e.getMessage()));
            return 1;
        }
        if (e instanceof org.apache.kafka.common.KafkaException || e instanceof org.apache.kafka.common.errors.ApiException) {
            err.println(SECRETS.hide("error: Kafka: " + e.getMessage()));
            return 3;
        }
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        err.println(SECRETS.hide("error: " + e));
        err.print(SECRETS.hide(trace.toString()));
        err.flush();
        return 1;
    }

    /** The version in the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"caddy-lightstep " + (version == null ? "(development build)" : version)};
        }
    }
}
