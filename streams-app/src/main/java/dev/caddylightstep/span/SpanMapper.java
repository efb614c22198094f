package dev.caddylightstep.span;

import com.google.protobuf.ByteString;
import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.TraceContext;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.topology.EnrichedRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.SpanFlags;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps an enriched request to one OTLP span, following OpenTelemetry's HTTP server semantic conventions,
 * plus the edge.* attributes this project adds.
 */
public final class SpanMapper {
    public static final String SCOPE_NAME = "dev.caddylightstep";
    private static final HexFormat HEX = HexFormat.of();
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private static final int MAX_REPEATED_VALUES = 4096;

    private final List<KeyValue> resourceAttributes;
    private final Map<String, Map<String, KeyValue>> repeatedStrings = new ConcurrentHashMap<>();
    private final Map<String, Map<Long, KeyValue>> repeatedIntegers = new ConcurrentHashMap<>();
    private final Map<String, Resource> resources = new ConcurrentHashMap<>();
    private final ClientAddressMasking clientAddress;
    /** Attribute key by captured header name, in the order the operator named them. */
    private final Map<String, String> requestHeaderKeys;
    private final Map<String, String> responseHeaderKeys;
    private final InstrumentationScope scope;

    public SpanMapper(Map<String, String> resourceAttributes, ClientAddressMasking clientAddress, CapturedHeaders captured) {
        this.resourceAttributes = resourceAttributes.entrySet().stream().map(e -> string(e.getKey(), e.getValue())).toList();
        this.clientAddress = clientAddress;
        this.requestHeaderKeys = attributeKeys("http.request.header.", captured.request());
        this.responseHeaderKeys = attributeKeys("http.response.header.", captured.response());
        String version = SpanMapper.class.getPackage().getImplementationVersion();
        this.scope = InstrumentationScope.newBuilder().setName(SCOPE_NAME).setVersion(version == null ? "dev" : version).build();
    }

    /** One request as the OTLP export request an OpenTelemetry Collector's Kafka receiver (otlp_proto) reads. */
    public ExportTraceServiceRequest toExportRequest(EnrichedRequest request) {
        AccessEvent event = request.event();
        String host = hostOnly(event.host());
        Resource resource = resources.get(host + '\n' + event.logger());
        if (resource == null) {
            resource = Resource.newBuilder()
                    .addAllAttributes(resourceAttributes)
                    .addAttributes(string("caddy.host", host))
                    .addAttributes(string("caddy.logger", event.logger()))
                    .build();
            if (resources.size() < MAX_REPEATED_VALUES) {
                resources.put(host + '\n' + event.logger(), resource);
            }
        }
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(resource)
                        .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addSpans(toSpan(request))))
                .build();
    }

    public Span toSpan(EnrichedRequest request) {
        AccessEvent event = request.event();
        TraceContext trace = event.trace();
        Span.Builder span = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(HEX.parseHex(trace.traceId())))
                .setSpanId(ByteString.copyFrom(HEX.parseHex(trace.spanId())))
                .setName(event.method() + " " + request.route())
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .setStartTimeUnixNano(event.startEpochNanos())
                .setEndTimeUnixNano(event.endEpochNanos())
                .setFlags(flags(trace));
        if (trace.parentSpanId() != null) {
            span.setParentSpanId(ByteString.copyFrom(HEX.parseHex(trace.parentSpanId())));
        }
        if (trace.traceState() != null) {
            span.setTraceState(trace.traceState());
        }
        span.addAllAttributes(attributes(request));
        if (event.status() >= 500) {
            span.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR));
        }
        return span.build();
    }

    private static int flags(TraceContext trace) {
        int flags = trace.sampled() ? 0x01 : 0x00;
        if (trace.parentSpanId() != null) {
            // the parent was logged, not made here: it is remote
            flags |= SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK_VALUE | SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK_VALUE;
        } else {
            flags |= SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK_VALUE;
        }
        return flags;
    }

    private List<KeyValue> attributes(EnrichedRequest request) {
        AccessEvent e = request.event();
        List<KeyValue> a = new ArrayList<>(24);
        if (KNOWN_METHODS.contains(e.method())) {
            a.add(repeated("http.request.method", e.method()));
        } else {
            a.add(repeated("http.request.method", "_OTHER"));
            a.add(string("http.request.method_original", e.method()));
        }
        a.add(string("url.path", e.path()));
        if (e.query() != null) {
            a.add(string("url.query", e.query()));
        }
        a.add(repeated("url.scheme", e.scheme()));
        if (!e.host().isEmpty()) {
            a.add(repeated("server.address", hostOnly(e.host())));
            int port = portOf(e.host());
            if (port > 0) {
                a.add(repeated("server.port", port));
            }
        }
        a.add(repeated("http.route", request.route()));
        a.add(repeated("http.response.status_code", e.status()));
        a.add(integer("http.response.body.size", e.size()));
        if (e.bytesRead() >= 0) {
            a.add(integer("http.request.body.size", e.bytesRead()));
        }
        String version = protocolVersion(e.protocol());
        if (version != null) {
            a.add(repeated("network.protocol.name", "http"));
            a.add(repeated("network.protocol.version", version));
        }
        String client = clientAddress.apply(e.clientAddress());
        if (client != null && !client.isEmpty()) {
            a.add(string("client.address", client));
        }
        if (e.userAgent() != null) {
            a.add(repeated("user_agent.original", e.userAgent()));
        }
        headers(requestHeaderKeys, e.requestHeaders(), a);
        headers(responseHeaderKeys, e.responseHeaders(), a);
        if (e.tls() != null && e.tls().protocolVersion() != null) {
            a.add(repeated("tls.protocol.version", e.tls().protocolVersion()));
        }
        Identity identity = request.identity();
        if (!identity.id().isEmpty()) {
            a.add(string("enduser.id", identity.id()));
        }
        a.add(repeated("edge.group", identity.group()));
        if (identity.tenant() != null) {
            a.add(repeated("edge.tenant", identity.tenant()));
        }
        if (!identity.roles().isEmpty()) {
            a.add(strings("edge.roles", identity.roles()));
        }
        PolicyVerdict verdict = request.verdict();
        a.add(repeated("edge.policy.observed", verdict.observed().code()));
        if (verdict.expected() != null) {
            a.add(repeated("edge.policy.decision", verdict.expected().code()));
        }
        if (verdict.misfire() != null) {
            a.add(repeated("edge.policy.misfire", verdict.misfire().code()));
        }
        if (verdict.sloMs() != null) {
            a.add(repeated("edge.slo.ms", verdict.sloMs()));
            a.add(bool("edge.slo.breached", verdict.sloBreached()));
        }
        return a;
    }

    /** The semantic conventions' key of a header attribute: the prefix and the name in lower case. */
    private static Map<String, String> attributeKeys(String prefix, Set<String> names) {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        names.forEach(name -> keys.put(name, prefix + name.toLowerCase(Locale.ROOT)));
        return Map.copyOf(keys);
    }

    /** Captured headers as string arrays, since a header may be sent more than once. */
    private static void headers(Map<String, String> keys, Map<String, List<String>> logged, List<KeyValue> a) {
        keys.forEach((name, key) -> {
            List<String> values = AccessEvent.headerValues(logged, name);
            if (!values.isEmpty()) {
                a.add(strings(key, values));
            }
        });
    }

    /** "HTTP/1.1" is version "1.1", "HTTP/2.0" is "2", as network.protocol.version has them. */
    static String protocolVersion(String protocol) {
        if (!protocol.startsWith("HTTP/")) {
            return null;
        }
        String version = protocol.substring(5);
        return version.endsWith(".0") && !version.equals("1.0") ? version.substring(0, version.length() - 2) : version;
    }

    static String hostOnly(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(1, end) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon >= 0 && host.indexOf(':') == colon ? host.substring(0, colon) : host;
    }

    private static int portOf(String host) {
        int colon = host.lastIndexOf(':');
        boolean bracketed = host.startsWith("[");
        if (colon < 0 || (bracketed && colon < host.indexOf(']')) || (!bracketed && host.indexOf(':') != colon)) {
            return -1;
        }
        try {
            return Integer.parseInt(host.substring(colon + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * An attribute whose values repeat from request to request (method, scheme, group, status, ...): the
     * protobuf messages are immutable, so each is built once and shared, up to a bound per key.
     */
    private KeyValue repeated(String key, String value) {
        Map<String, KeyValue> values = repeatedStrings.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
        KeyValue cached = values.get(value);
        if (cached != null) {
            return cached;
        }
        KeyValue built = string(key, value);
        if (values.size() < MAX_REPEATED_VALUES) {
            values.put(value, built);
        }
        return built;
    }

    private KeyValue repeated(String key, long value) {
        Map<Long, KeyValue> values = repeatedIntegers.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
        KeyValue cached = values.get(value);
        if (cached != null) {
            return cached;
        }
        KeyValue built = integer(key, value);
        if (values.size() < MAX_REPEATED_VALUES) {
            values.put(value, built);
        }
        return built;
    }

    private static KeyValue string(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static KeyValue integer(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }

    private static KeyValue bool(String key, boolean value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setBoolValue(value)).build();
    }

    private static KeyValue strings(String key, List<String> values) {
        ArrayValue.Builder array = ArrayValue.newBuilder();
        values.forEach(v -> array.addValues(AnyValue.newBuilder().setStringValue(v)));
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setArrayValue(array)).build();
    }
}
