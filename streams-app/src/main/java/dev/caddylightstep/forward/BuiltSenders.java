package dev.caddylightstep.forward;

import dev.caddylightstep.config.ConfigException;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * The component loader OpenTelemetry's autoconfiguration hands each exporter it builds. It finds what the SDK's own
 * loader finds, and keeps the sender an OTLP exporter builds for itself from the user's settings: the forwarder sends
 * its records' bytes through the span exporter's, so that those settings stay the only source of its transport. Only
 * public API is involved: the sender SPI of opentelemetry-sdk-common and autoconfigure's component loader.
 */
final class BuiltSenders implements ComponentLoader {
    private final ComponentLoader services = ComponentLoader.forClassLoader(BuiltSenders.class.getClassLoader());
    /** Autoconfigure builds on the caller's thread, one exporter at a time. */
    private SpanSender latest;

    @Override
    @SuppressWarnings("unchecked")
    public <T> Iterable<T> load(Class<T> type) {
        if (type == GrpcSenderProvider.class) {
            GrpcSenderProvider found = only(GrpcSenderProvider.class);
            return (Iterable<T>) List.<GrpcSenderProvider>of(config -> {
                var sender = found.createSender(config);
                latest = SpanSender.grpc(sender);
                return sender;
            });
        }
        if (type == HttpSenderProvider.class) {
            HttpSenderProvider found = only(HttpSenderProvider.class);
            return (Iterable<T>) List.<HttpSenderProvider>of(config -> {
                var sender = found.createSender(config);
                latest = SpanSender.http(sender);
                return sender;
            });
        }
        return services.load(type);
    }

    /**
     * The provider OpenTelemetry would use. Its wrapper here hides the provider's class name, by which OpenTelemetry
     * chooses among several; the application ships OkHttp's alone, so that a second one is a packaging mistake.
     */
    private <P> P only(Class<P> type) {
        List<P> found = new ArrayList<>();
        services.load(type).forEach(found::add);
        if (found.size() != 1) {
            throw new ConfigException("expected OpenTelemetry's OkHttp sender alone on the class path, found " + found.size()
                    + " " + type.getSimpleName() + "s: " + found.stream().map(p -> p.getClass().getName()).toList());
        }
        return found.get(0);
    }

    /**
     * The sender the exporter built last, which no one took yet. Autoconfigure calls an exporter's customizer right
     * after building the exporter, and so its sender: taken there, it is that exporter's.
     */
    SpanSender take() {
        if (latest == null) {
            throw new IllegalStateException("the OTLP exporter built no sender");
        }
        SpanSender taken = latest;
        latest = null;
        return taken;
    }
}
