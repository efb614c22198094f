package dev.caddylightstep.span;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OpenTelemetry resource every span is exported under: service.name (caddy unless set) and OTEL_RESOURCE_ATTRIBUTES,
 * as the OpenTelemetry specification orders them.
 */
public record SpanResource(Map<String, String> attributes) {

    public SpanResource {
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    public static SpanResource from(Settings s) {
        return of(s.openTelemetryEnvironment());
    }

    /** OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME over it. */
    static SpanResource of(Map<String, String> otel) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("service.name", "caddy");
        for (String pair : otel.getOrDefault("OTEL_RESOURCE_ATTRIBUTES", "").split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("OTEL_RESOURCE_ATTRIBUTES: '" + pair.trim() + "' is not key=value");
            }
            attributes.put(pair.substring(0, eq).trim(), URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8));
        }
        String serviceName = otel.getOrDefault("OTEL_SERVICE_NAME", "");
        if (!serviceName.isBlank()) {
            attributes.put("service.name", serviceName.trim());
        }
        return new SpanResource(attributes);
    }
}
