package dev.caddylightstep.config;

import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.aggregate.WindowSettings;
import dev.caddylightstep.identity.IdentityJoin;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.route.RoutePattern;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.topology.RecordLimit;
import java.util.List;
import java.util.Map;

/**
 * Everything the topology is built from, validated. Built by {@link ConfigLoader}; the topology reads
 * nothing else.
 *
 * @param kafka Kafka client and Streams properties, passed through untouched (TLS and SASL included)
 * @param resourceAttributes the OpenTelemetry resource of every span (service.name and OTEL_RESOURCE_ATTRIBUTES)
 * @param recordLimit the largest value the topology writes in one record
 */
public record PipelineConfig(
        Map<String, Object> kafka,
        TopicNames topics,
        LogFormat logFormat,
        Redaction redaction,
        CapturedHeaders capturedHeaders,
        IdentitySource identitySource,
        IdentityJoin identityJoin,
        List<RoutePattern> routePatterns,
        WindowSettings windows,
        ClientAddressMasking clientAddress,
        Map<String, String> resourceAttributes,
        RecordLimit recordLimit) {

    public PipelineConfig {
        kafka = Map.copyOf(kafka);
        routePatterns = List.copyOf(routePatterns);
        resourceAttributes = Map.copyOf(resourceAttributes);
    }
}
