package dev.caddylightstep.forward;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where spans go, from OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_*: endpoint, protocol, headers,
 * compression, timeout, certificates) read by the SDK's autoconfiguration, and LS_ACCESS_TOKEN: when set, it
 * is sent as the lightstep-access-token header, and with no endpoint given the spans go to Lightstep's public
 * ingest. The token and the other headers' values are never logged and never part of a message. The spans go
 * through the sender OpenTelemetry's OTLP span exporter builds from those settings ({@link SpanSender}).
 *
 * <p>The windows' metrics go to the same backend unless caddy.metrics.export=false: every setting of the traces
 * (OTEL_EXPORTER_OTLP_TRACES_*) applies to the metrics too unless OTEL_EXPORTER_OTLP_METRICS_* sets its own, a
 * traces endpoint's /v1/traces becoming /v1/metrics over OTLP/HTTP, and the token is sent with them.
 */
public final class ExportTarget implements AutoCloseable {
    static final String TOKEN_HEADER = "lightstep-access-token";
    private static final List<String> HEADER_VARIABLES = List.of("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS");
    private static final String TRACES = "otel.exporter.otlp.traces.";
    private static final String METRICS = "otel.exporter.otlp.metrics.";

    private final AutoConfiguredOpenTelemetrySdk sdk;
    private final SpanSender spanSender;
    private final MetricExporter metricExporter;
    private final String description;

    private ExportTarget(AutoConfiguredOpenTelemetrySdk sdk, SpanSender spanSender, MetricExporter metricExporter, String description) {
        this.sdk = sdk;
        this.spanSender = spanSender;
        this.metricExporter = metricExporter;
        this.description = description;
    }

    /** The configured backend, or empty when neither an OTLP endpoint nor LS_ACCESS_TOKEN is set. */
    public static Optional<ExportTarget> from(Settings settings, ForwarderSettings forwarder) {
        Map<String, String> env = settings.openTelemetryEnvironment();
        Map<String, String> props = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("OTEL_")) {
                props.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        if ("true".equalsIgnoreCase(props.get("otel.sdk.disabled"))) {
            return Optional.empty();
        }
        String exporters = props.getOrDefault("otel.traces.exporter", "otlp");
        if (exporters.equals("none")) {
            return Optional.empty();
        }
        if (!exporters.equals("otlp")) {
            throw new ConfigException("OTEL_TRACES_EXPORTER: '" + exporters + "' is not otlp or none: spans are forwarded with OTLP");
        }
        String token = blankToNull(env.get(Settings.LIGHTSTEP_TOKEN));
        for (String variable : HEADER_VARIABLES) {
            requireHeaderList(variable, env.get(variable));
        }
        String endpoint = props.getOrDefault("otel.exporter.otlp.traces.endpoint", props.get("otel.exporter.otlp.endpoint"));
        if (endpoint == null && token == null) {
            return Optional.empty();
        }
        String protocol = props.getOrDefault("otel.exporter.otlp.traces.protocol", props.getOrDefault("otel.exporter.otlp.protocol", "grpc"));
        if (endpoint == null) {
            endpoint = lightstepIngest(forwarder.lightstepRegion(), protocol);
            props.put("otel.exporter.otlp.traces.endpoint", endpoint);
        }
        if (token != null) {
            String headers = props.getOrDefault("otel.exporter.otlp.traces.headers", props.getOrDefault("otel.exporter.otlp.headers", ""));
            String withToken = (headers.isBlank() ? "" : headers + ",") + TOKEN_HEADER + "=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
            props.put("otel.exporter.otlp.traces.headers", withToken);
        }
        props.put("otel.traces.exporter", "otlp");
        props.put("otel.metrics.exporter", forwarder.exportMetrics() ? "otlp" : "none");
        if (forwarder.exportMetrics()) {
            metricsLikeTraces(props, protocol, token);
        }
        props.put("otel.logs.exporter", "none");
        // the forwarder retries itself, with its own backoff, and must see every refusal to count it
        props.put("otel.java.exporter.otlp.retry.disabled", "true");

        BuiltSenders senders = new BuiltSenders();
        AtomicReference<SpanSender> captured = new AtomicReference<>();
        AtomicReference<MetricExporter> capturedMetrics = new AtomicReference<>();
        AutoConfiguredOpenTelemetrySdk sdk;
        try {
            sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .setComponentLoader(senders)
                    .addPropertiesCustomizer(config -> props)
                    // the exporter stays the SDK's, and shuts its sender down when the SDK closes
                    .addSpanExporterCustomizer((exporter, config) -> {
                        captured.set(senders.take());
                        return exporter;
                    })
                    .addMetricExporterCustomizer((exporter, config) -> {
                        // the metric exporter sends with its own sender: taken here, it cannot pass for the spans'
                        senders.take();
                        capturedMetrics.set(exporter);
                        return new NothingExported();
                    })
                    .disableShutdownHook()
                    .build();
        } catch (RuntimeException e) {
            throw new ConfigException("OpenTelemetry exporter settings (OTEL_EXPORTER_OTLP_*): " + withoutSecrets(e.getMessage(), env, token));
        }
        String description = protocol + " to " + endpoint + (token != null ? " with a Lightstep access token" : "");
        return Optional.of(new ExportTarget(sdk, captured.get(), capturedMetrics.get(), description));
    }

    /**
     * The metrics' settings: each of the traces' own that the metrics do not set themselves, the endpoint with the
     * metrics' path over OTLP/HTTP, temporality delta (each window is exported once, as a delta), and the token.
     */
    private static void metricsLikeTraces(Map<String, String> props, String protocol, String token) {
        Map<String, String> tracesOwn = new HashMap<>();
        props.forEach((key, value) -> {
            if (key.startsWith(TRACES)) {
                tracesOwn.put(key.substring(TRACES.length()), value);
            }
        });
        String tracesEndpoint = tracesOwn.remove("endpoint");
        tracesOwn.forEach((setting, value) -> props.putIfAbsent(METRICS + setting, value));
        if (tracesEndpoint != null && !props.containsKey(METRICS + "endpoint")) {
            String metricsProtocol = props.getOrDefault(METRICS + "protocol", protocol);
            props.put(METRICS + "endpoint", metricsProtocol.startsWith("http") ? metricsPath(tracesEndpoint) : tracesEndpoint);
        }
        if (token != null && props.containsKey(METRICS + "headers") && !props.get(METRICS + "headers").contains(TOKEN_HEADER + "=")) {
            props.put(METRICS + "headers", props.get(METRICS + "headers") + "," + TOKEN_HEADER + "=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
        }
        props.put(METRICS + "temporality.preference", "delta");
    }

    /** OTLP/HTTP's signal endpoints are used as given: the metrics' one is found only from a traces endpoint of the usual path. */
    private static String metricsPath(String tracesEndpoint) {
        String path = "/v1/traces";
        String trimmed = tracesEndpoint.endsWith("/") ? tracesEndpoint.substring(0, tracesEndpoint.length() - 1) : tracesEndpoint;
        if (!trimmed.endsWith(path)) {
            throw new ConfigException("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT does not end with " + path + ", so the metrics' endpoint cannot be "
                    + "found from it: set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, or caddy.metrics.export=false");
        }
        return trimmed.substring(0, trimmed.length() - path.length()) + "/v1/metrics";
    }

    static String lightstepIngest(String region, String protocol) {
        String host = region.equals("eu") ? "ingest.eu.lightstep.com" : "ingest.lightstep.com";
        return protocol.startsWith("http") ? "https://" + host + "/v1/traces" : "https://" + host + ":443";
    }

    /**
     * A list of headers as the SDK reads it: name=value entries, comma-separated, values URL-encoded. Checked here
     * because the SDK's own error quotes the whole list, credentials included; this one names the entry and never shows
     * a value, nor the text of an entry that has no '=' (it may be a credential pasted alone).
     */
    private static void requireHeaderList(String variable, String list) {
        if (list == null) {
            return;
        }
        int entry = 0;
        for (String item : list.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            entry++;
            int eq = item.indexOf('=');
            if (eq < 0 || item.substring(0, eq).isBlank() || item.substring(eq + 1).isBlank()) {
                throw new ConfigException(variable + ": entry " + entry + " is not name=value (header values are never shown)");
            }
            try {
                URLDecoder.decode(item.substring(eq + 1).trim(), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(variable + ": the value of header " + item.substring(0, eq).trim()
                        + " is not URL-encoded (a '%' must start an escape such as %2C; header values are never shown)");
            }
        }
    }

    /** The SDK's message with the token and every header value, as given and as encoded or decoded, replaced. */
    private static String withoutSecrets(String message, Map<String, String> env, String token) {
        List<String> secrets = new ArrayList<>();
        if (token != null) {
            secrets.add(token);
            secrets.add(URLEncoder.encode(token, StandardCharsets.UTF_8));
        }
        for (String variable : HEADER_VARIABLES) {
            String list = env.get(variable);
            if (list == null) {
                continue;
            }
            secrets.add(list);
            for (String item : list.split(",")) {
                int eq = item.indexOf('=');
                String value = (eq < 0 ? item : item.substring(eq + 1)).trim();
                secrets.add(value);
                try {
                    secrets.add(URLDecoder.decode(value, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // not decodable: only the form given can appear
                }
            }
        }
        secrets.removeIf(String::isBlank);
        secrets.sort(Comparator.comparingInt(String::length).reversed());
        String m = String.valueOf(message);
        for (String secret : secrets) {
            m = m.replace(secret, "(hidden)");
        }
        return m;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    public SpanSender spanSender() {
        return spanSender;
    }

    /** The exporter of the windows' metrics; empty when caddy.metrics.export=false. */
    public Optional<MetricExporter> metricExporter() {
        return Optional.ofNullable(metricExporter);
    }

    /** Protocol and endpoint, for the operator; never the token or other headers. */
    public String description() {
        return description;
    }

    @Override
    public void close() {
        sdk.getOpenTelemetrySdk().close();
        if (metricExporter != null) {
            metricExporter.close();
        }
    }

    /**
     * What the SDK's own metric reader is given in place of the exporter: the application's meters are on /metrics,
     * and only the windows, which the forwarder exports itself, go to the backend.
     */
    private static final class NothingExported implements MetricExporter {
        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.DELTA;
        }

        @Override
        public CompletableResultCode export(Collection<MetricData> metrics) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
