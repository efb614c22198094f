package dev.caddylightstep.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.WindowQueries;
import dev.caddylightstep.query.Peers;
import dev.caddylightstep.slo.SloQueries;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.forward.MetricForwarder;
import dev.caddylightstep.forward.SpanForwarder;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.http.OpsServer;
import dev.caddylightstep.topology.StreamsProperties;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running process of caddy-lightstep: the streams role, the forwarder role, or both, with the HTTP side.
 * Built from typed settings; started and closed as a whole. Supervised: when a role fails for good (the forwarder's
 * thread ends with an exception, the streams stop in state ERROR), the process is told through its
 * {@link FatalFailure}, and its liveness probe fails from then on.
 */
public final class Application implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Application.class);

    /** Which parts this process runs. */
    public enum Role { STREAMS, FORWARDER, ALL }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService metricsRefresh = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "metrics-refresh");
        thread.setDaemon(true);
        return thread;
    });
    private final PipelineStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final SpanForwarder forwarder;
    private final ExportTarget target;
    private final Thread forwarderThread;
    /** Null unless this process forwards and caddy.metrics.export is true. */
    private final MetricForwarder metricForwarder;
    private final Thread metricForwarderThread;
    private final OpsServer http;
    private final FatalFailure fatal;
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile boolean closing;

    /**
     * An application that ends the JVM when a role fails for good: one line on stderr, exit status 1. For callers that
     * have nothing to close first; {@code run} passes its own {@link FatalFailure}, which closes the application.
     */
    public Application(Role role, PipelineConfig config, ForwarderSettings forwarding, Optional<ExportTarget> exportTarget,
                       HttpSettings httpSettings, FatalFailure fatal) {
        this.fatal = fatal;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        boolean runStreams = role != Role.FORWARDER;
        boolean runForwarder = role != Role.STREAMS && exportTarget.isPresent();
        if (role == Role.FORWARDER && exportTarget.isEmpty()) {
            throw new IllegalStateException("the forwarder role needs a backend: set OTEL_EXPORTER_OTLP_ENDPOINT or LS_ACCESS_TOKEN");
        }
        ObjectNode dashboard = AggregateJson.JSON.createObjectNode();
        dashboard.put("trace_url_template", httpSettings.traceUrlTemplate());
        dashboard.put("window_size_ms", config.windows().size().toMillis());
        try {
            this.http = new OpsServer(httpSettings, registry, this::isLive, this::isReady, dashboard);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + httpSettings.host() + ":" + httpSettings.port() + ": " + e.getMessage(), e);
        }
        if (runStreams) {
            // other instances find this one's windows at application.server: the port just bound
            HostInfo self = new HostInfo(httpSettings.advertisedHost(), http.port());
            Properties props = StreamsProperties.of(config);
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
            this.streams = new PipelineStreams(config, props, this::fail);
            // the pipeline's own sensors appear once tasks start: look for new metrics every few seconds
            this.streamsMetrics = new KafkaStreamsMetrics(streams.streams(), java.util.List.of(), metricsRefresh, Duration.ofSeconds(5));
            streamsMetrics.bindTo(registry);
            SamplingMetrics.bind(streams.streams(), registry);
            SloMetrics.bind(streams.streams(), registry, metricsRefresh);
            Peers peers = new Peers(streams.streams(), self, httpSettings.token().authorization());
            http.serve(new WindowQueries(streams.streams(), config.windows(), peers), new SloQueries(streams.streams(), peers));
        } else {
            this.streams = null;
            this.streamsMetrics = null;
        }
        this.target = runForwarder ? exportTarget.get() : null;
        this.forwarder = runForwarder ? new SpanForwarder(forwarding, config.kafka(), target.spanSender(),
                config.topics().spans(), config.topics().spanDeadLetters(), registry) : null;
        this.forwarderThread = runForwarder ? new Thread(() -> supervise(forwarder, "span forwarder"), "span-forwarder") : null;
        this.metricForwarder = runForwarder && target.metricExporter().isPresent() ? new MetricForwarder(forwarding, config.kafka(),
                target.metricExporter().get(), config.topics().metrics(), config.topics().spanDeadLetters(), registry) : null;
        this.metricForwarderThread = metricForwarder != null ? new Thread(() -> supervise(metricForwarder, "metric forwarder"), "metric-forwarder") : null;
        if (role != Role.STREAMS && exportTarget.isEmpty()) {
            LOG.warn("no OTLP endpoint and no LS_ACCESS_TOKEN: spans stay on {} (set OTEL_EXPORTER_OTLP_ENDPOINT or LS_ACCESS_TOKEN to forward them)",
                    config.topics().spans());
        }
    }

    public Application start() {
        http.start();
        if (streams != null) {
            streams.start();
        }
        if (forwarder != null) {
            LOG.info("forwarding spans: {}", target.description());
            forwarderThread.start();
        }
        if (metricForwarder != null) {
            LOG.info("forwarding the windows' metrics to the same backend");
            metricForwarderThread.start();
        }
        return this;
    }

    /** Runs a forwarder; its end, other than by {@link #close()}, is the process's. */
    private void supervise(Runnable forwarderLoop, String name) {
        try {
            forwarderLoop.run();
        } catch (Throwable failure) {
            // an Error too: a forwarder that is dead is a process that is dead
            fail("the " + name + " failed: " + FatalFailure.oneLine(failure), failure);
            return;
        }
        if (!closing) {
            fail("the " + name + " stopped by itself", null);
        }
    }

    /** The first failure for good is reported, once; liveness fails from then on. */
    private void fail(String reason, Throwable cause) {
        if (failed.compareAndSet(false, true)) {
            LOG.debug("{}", reason, cause);
            fatal.occurred(reason, cause);
        }
    }

    /** Live until a role has failed for good: the forwarder's thread ended, or the streams stopped in state ERROR. */
    public boolean isLive() {
        return !failed.get() && (streams == null || streams.isAlive());
    }

    /**
     * Ready when every role this process runs is: the streams RUNNING (not while stores restore or a rebalance goes
     * on), the forwarder in its group and not retrying a Kafka failure.
     */
    public boolean isReady() {
        return isLive() && (streams == null || streams.isRunning()) && (forwarder == null || forwarder.isReady())
                && (metricForwarder == null || metricForwarder.isReady());
    }

    public Optional<PipelineStreams> streams() {
        return Optional.ofNullable(streams);
    }

    public Optional<SpanForwarder> forwarder() {
        return Optional.ofNullable(forwarder);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public int httpPort() {
        return http.port();
    }

    /** Closes the streams (committing their last transaction), lets the forwarder finish its batch, then the rest. */
    @Override
    public void close() {
        closing = true;
        if (streams != null) {
            streams.close();
            streamsMetrics.close();
        }
        if (forwarder != null) {
            forwarder.close();
            if (metricForwarder != null) {
                metricForwarder.close();
            }
            try {
                forwarderThread.join(60_000);
                if (metricForwarderThread != null) {
                    metricForwarderThread.join(60_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            target.close();
        }
        http.close();
        metricsRefresh.shutdownNow();
        registry.close();
        LOG.info("stopped");
    }
}
