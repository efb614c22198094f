package dev.caddylightstep.cli;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.run.FatalFailure;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code run}: the production application against an existing Kafka cluster, until SIGTERM or Ctrl-C (exit 0), or until
 * a role fails for good (exit 1, with one line saying why).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the application against an existing Kafka cluster: the topology, the span forwarder, or both.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--role", defaultValue = "all", paramLabel = "streams|forwarder|all",
            description = "streams: the topology; forwarder: spans topic to the OTLP backend; all: both (default).")
    String role;

    @Mixin
    SettingsOptions options;

    @Override
    public Integer call() throws InterruptedException {
        Application.Role chosen = switch (role.toLowerCase(Locale.ROOT)) {
            case "streams" -> Application.Role.STREAMS;
            case "forwarder" -> Application.Role.FORWARDER;
            case "all" -> Application.Role.ALL;
            default -> throw new UserError("--role: '" + role + "' is not streams, forwarder or all");
        };
        Settings settings = options.load();
        PipelineConfig config = PipelineConfig.from(settings);
        ForwarderSettings forwarding = ForwarderSettings.from(settings);
        var target = ExportTarget.from(settings, forwarding);
        if (chosen == Application.Role.FORWARDER && target.isEmpty()) {
            throw new UserError("--role forwarder needs a backend: set OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) or LS_ACCESS_TOKEN");
        }
        Brokers.requireReachable(settings.kafka());
        CountDownLatch stop = new CountDownLatch(1);
        Shutdown.onSignal(stop::countDown);
        // a role that failed for good stops the process as SIGTERM would, and it exits 1 saying why
        AtomicReference<String> failure = new AtomicReference<>();
        FatalFailure fatal = (reason, cause) -> {
            failure.compareAndSet(null, reason);
            stop.countDown();
        };
        try (Application app = new Application(chosen, config, forwarding, target, HttpSettings.from(settings), fatal).start()) {
            stop.await();
        }
        if (failure.get() != null) {
            throw new RunFailure(failure.get());
        }
        return 0;
    }
}
