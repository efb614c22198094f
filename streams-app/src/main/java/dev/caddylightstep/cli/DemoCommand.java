package dev.caddylightstep.cli;

import dev.caddylightstep.demo.Demo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code demo}: the whole product on an embedded broker, with the bundled sample or your Caddy log. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run everything on an embedded Kafka broker: ship a Caddy log, enrich it, show the dashboard.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--caddy-log", paramLabel = "FILE",
            description = "A Caddy JSON access log, followed like tail -F through Caddy's rotation (default: the bundled sample, replayed).")
    Path caddyLog;

    @Option(names = "--identities", paramLabel = "FILE", description = "identities.yaml (default: the sample's users).")
    Path identities;

    @Option(names = "--policies", paramLabel = "FILE", description = "policies.yaml (default: the sample's groups).")
    Path policies;

    @Option(names = "--until-idle", description = "Stop once all input is processed, exported and aggregated, and no line came for --idle-seconds.")
    boolean untilIdle;

    @Option(names = "--idle-seconds", defaultValue = "5", paramLabel = "N", description = "Seconds without a new line that count as idle (default: ${DEFAULT-VALUE}).")
    int idleSeconds;

    @Option(names = "--aggregates-out", paramLabel = "FILE", description = "Also write every by-group aggregate update as a JSON line.")
    Path aggregatesOut;

    @Option(names = "--alerts-out", paramLabel = "FILE",
            description = "Also write every change of state of a burn-rate alert (firing, resolved) as a JSON line; with --until-idle, "
                    + "also wait for the windows the lines close (up to a minute), whose alerts these are.")
    Path alertsOut;

    @Option(names = "--http-port", defaultValue = "8080", paramLabel = "PORT", description = "Dashboard port (default: ${DEFAULT-VALUE}; a free one if taken).")
    int httpPort;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "A setting, as in a properties file (e.g. caddy.window.size=10s).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        requireReadable(caddyLog, "--caddy-log");
        requireReadable(identities, "--identities");
        requireReadable(policies, "--policies");
        if (idleSeconds < 0) {
            throw new UserError("--idle-seconds: " + idleSeconds + " is negative");
        }
        requireWritableDirectory(aggregatesOut, "--aggregates-out");
        requireWritableDirectory(alertsOut, "--alerts-out");
        Demo demo = new Demo(new Demo.Options(caddyLog, identities, policies, untilIdle, idleSeconds, aggregatesOut, alertsOut, httpPort, settings),
                System.out, System.err);
        Shutdown.onSignal(demo::stop);
        Demo.Summary summary;
        try {
            summary = demo.run();
        } catch (IllegalStateException e) {
            throw new UserError("demo: " + e.getMessage());
        }
        System.out.println(summary);
        return 0;
    }

    private static void requireWritableDirectory(Path file, String option) {
        if (file != null && file.toAbsolutePath().getParent() != null && !Files.isDirectory(file.toAbsolutePath().getParent())) {
            throw new UserError(option + ": directory " + file.toAbsolutePath().getParent() + " does not exist");
        }
    }

    private static void requireReadable(Path file, String option) {
        if (file != null && !Files.isReadable(file)) {
            throw new UserError(option + ": " + file + (Files.exists(file) ? " is not readable" : " does not exist"));
        }
    }
}
