package dev.caddylightstep.span;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.ServerTiming;
import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.access.UpstreamTiming;
import dev.caddylightstep.access.TraceContext;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.otlp.AttributeKey;
import dev.caddylightstep.otlp.SpanRecordEncoder;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.policy.EnrichedRequest;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.SpanFlags;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Maps an enriched request to its OTLP spans, following OpenTelemetry's HTTP semantic conventions: the request's SERVER
 * span, and when Caddy timed its upstream call a CLIENT child for that call,
 * plus the edge.* attributes this project adds: which attributes a span has, in which order, with which values.
 * {@link SpanRecordEncoder} puts them on the wire. Safe for several stream threads at once.
 */
public final class SpanMapper {
    public static final String SCOPE_NAME = "dev.caddylightstep";
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private static final int MAX_REPEATED_VALUES = 4096;
    /**
     * Longer values are encoded for each span and never kept: a client chooses its User-Agent and Host (and a line sent
     * to ship --listen, its protocol, logger and upstream) up to Caddy's 1 MB of request headers, and 4,096 kept values
     * of a megabyte each, String and encoding, would be 8 GB. Routes are templates of 256 characters at most.
     */
    private static final int MAX_REPEATED_CHARS = 256;

    private static final AttributeKey METHOD_ORIGINAL = AttributeKey.of("http.request.method_original");
    private static final AttributeKey PATH = AttributeKey.of("url.path");
    private static final AttributeKey QUERY = AttributeKey.of("url.query");
    private static final AttributeKey RESPONSE_BODY_SIZE = AttributeKey.of("http.response.body.size");
    private static final AttributeKey REQUEST_BODY_SIZE = AttributeKey.of("http.request.body.size");
    private static final AttributeKey CLIENT_ADDRESS = AttributeKey.of("client.address");
    private static final AttributeKey USER_ID = AttributeKey.of("enduser.id");
    private static final AttributeKey ROLES = AttributeKey.of("edge.roles");
    private static final AttributeKey SLO_BREACHED = AttributeKey.of("edge.slo.breached");
    private static final AttributeKey EDGE_MS = AttributeKey.of("edge.stage.edge_ms");
    private static final AttributeKey UPSTREAM_MS = AttributeKey.of("edge.stage.upstream_ms");
    private static final AttributeKey SERVER_TIMINGS_SKIPPED = AttributeKey.of("edge.server_timing.skipped");
    private static final AttributeKey SERVER_ADDRESS = AttributeKey.of("server.address");
    private static final AttributeKey SERVER_PORT = AttributeKey.of("server.port");
    private static final AttributeKey PROTOCOL_NAME = AttributeKey.of("network.protocol.name");
    private static final AttributeKey PROTOCOL_VERSION = AttributeKey.of("network.protocol.version");
    private static final AttributeKey ERROR_TYPE = AttributeKey.of("error.type");

    private final List<Map.Entry<String, String>> resourceAttributes;
    private final Map<ResourceKey, byte[]> resources = new ConcurrentHashMap<>();
    /** The same, by the host without its port: one array for each resource, however many ports its host is logged with. */
    private final Map<ResourceKey, byte[]> resourcesByContents = new ConcurrentHashMap<>();
    private final byte[] scope;
    private final ClientAddressMasking clientAddress;
    /** Attribute key by captured header name, in CapturedHeaders' order (the names' alphabetical order). */
    private final Map<String, AttributeKey> requestHeaderKeys;
    private final Map<String, AttributeKey> responseHeaderKeys;
    /** Each stream thread writes its spans in a scratch buffer of its own. */
    private final ThreadLocal<SpanRecordEncoder> encoders = ThreadLocal.withInitial(SpanRecordEncoder::new);

    private final Repeated<String> method = strings("http.request.method");
    private final Repeated<String> scheme = strings("url.scheme");
    /** server.address and, when the host has one, server.port, by the host as logged ("example.com:8443"). */
    private final Repeated<String> server = new Repeated<>(SpanMapper::serverAttributes);
    private final Repeated<String> route = strings("http.route");
    private final Repeated<Long> statusCode = integers("http.response.status_code");
    /** By the protocol as Caddy logs it: its version is cut from it once, not for every span. */
    private final Repeated<String> protocol = new Repeated<>(SpanMapper::protocolAttributes);
    private final Repeated<String> userAgent = strings("user_agent.original");
    private final Repeated<String> tlsVersion = strings("tls.protocol.version");
    private final Repeated<String> group = strings("edge.group");
    private final Repeated<String> tenant = strings("edge.tenant");
    private final Repeated<String> observed = strings("edge.policy.observed");
    private final Repeated<String> decision = strings("edge.policy.decision");
    private final Repeated<String> misfire = strings("edge.policy.misfire");
    private final Repeated<Long> sloMs = integers("edge.slo.ms");
    private final Repeated<Long> errorType = new Repeated<>(status -> SpanRecordEncoder.encodedAttribute(ERROR_TYPE, Long.toString(status)));
    private final Repeated<String> upstreamServer = new Repeated<>(SpanMapper::serverAttributes);
    private final Repeated<String> upstreamTiming = strings("edge.upstream.timing");
    private final int maxServerTimings;

    public SpanMapper(Map<String, String> resourceAttributes, ClientAddressMasking clientAddress, CapturedHeaders captured,
                      StageSettings stages) {
        this.maxServerTimings = stages.maxServerTimings();
        this.resourceAttributes = resourceAttributes.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
        this.clientAddress = clientAddress;
        this.requestHeaderKeys = attributeKeys("http.request.header.", captured.request());
        this.responseHeaderKeys = attributeKeys("http.response.header.", captured.response());
        String version = SpanMapper.class.getPackage().getImplementationVersion();
        this.scope = SpanRecordEncoder.encodedScope(SCOPE_NAME, version == null ? "dev" : version);
    }

    /**
     * One request as a spans-topic record: the bytes of the OTLP export request (ExportTraceServiceRequest) an
     * OpenTelemetry Collector's Kafka receiver (otlp_proto) reads, holding the request's span, with the tracestate the
     * request came with.
     */
    public byte[] toRecord(EnrichedRequest request) {
        return toRecord(request, request.event().trace().traceState());
    }

    /** The record, with the tracestate its sampling decided (the incoming one with the sampling threshold in it). */
    public byte[] toRecord(EnrichedRequest request, String traceState) {
        return spans(request, traceState).record();
    }

    /**
     * A request's spans, each as the spans field of a ScopeSpans, with the resource and scope they go under: what the
     * span stage gathers into a record of the spans topic, where the spans of one resource share one ResourceSpans.
     *
     * @param count the spans: the request's own, and its call to the upstream when Caddy timed one
     */
    public record RequestSpans(byte[] resource, byte[] scope, byte[] spans, int count) {
        /** Alone, as an export request. */
        public byte[] record() {
            byte[] record = new byte[recordSize()];
            SpanRecordEncoder.writeResourceSpans(record, 0, resource, scope, List.of(spans), spans.length);
            return record;
        }

        /** The size of {@link #record}. */
        public int recordSize() {
            return SpanRecordEncoder.resourceSpansSize(resource, scope, spans.length);
        }
    }

    /** The request's spans, with the tracestate its sampling decided. */
    public RequestSpans spans(EnrichedRequest request, String traceState) {
        AccessEvent event = request.event();
        TraceContext trace = event.trace();
        SpanRecordEncoder span = encoders.get();
        // without a route (past its window's cap, or none a template could name) the name is the method alone, as
        // OpenTelemetry's HTTP conventions name a span whose route is unknown
        String name = request.route() == null ? event.method() : event.method() + " " + request.route();
        span.begin(trace.traceId(), trace.spanId(), traceState, trace.parentSpanId(), name,
                Span.SpanKind.SPAN_KIND_SERVER, event.startEpochNanos(), event.endEpochNanos());
        attributes(request, span);
        UpstreamTiming upstream = event.upstream();
        if (upstream != null) {
            span.attribute(EDGE_MS, event.edgeMillis());
            span.attribute(UPSTREAM_MS, upstream.millis());
        } else {
            // no upstream span to carry them: the backend's times go on the only span there is
            serverTimings(event, span);
        }
        // server spans are errors on 5xx only: a 4xx is the client's doing
        boolean serverError = event.status() >= 500;
        if (serverError) {
            span.attribute(errorType.encoded((long) event.status()));
        }
        Status.StatusCode status = serverError ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_UNSET;
        if (upstream == null) {
            return new RequestSpans(resource(event), scope, span.finishSpans(status, flags(trace)), 1);
        }
        span.end(status, flags(trace));
        upstreamSpan(event, traceState, upstream, span);
        // for the client of a call, 4xx is an error too
        boolean upstreamError = event.status() >= 400;
        byte[] spans = span.finishSpans(upstreamError ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_UNSET,
                localChildFlags(trace));
        return new RequestSpans(resource(event), scope, spans, 2);
    }

    /**
     * The CLIENT span of Caddy's call to the upstream, a child of the request's span that ends with it: Caddy logs how
     * long the call took, not when it started, and after the upstream's response Caddy only copies it out.
     */
    private void upstreamSpan(AccessEvent event, String traceState, UpstreamTiming upstream, SpanRecordEncoder span) {
        TraceContext trace = event.trace();
        String method = KNOWN_METHODS.contains(event.method()) ? event.method() : "HTTP";
        span.beginNext(trace.traceId(), trace.upstreamSpanId(), traceState, trace.spanId(), method, Span.SpanKind.SPAN_KIND_CLIENT,
                event.endEpochNanos() - upstream.nanos(), event.endEpochNanos());
        methodAttributes(event, span);
        if (upstream.address() != null) {
            span.attribute(upstreamServer.encoded(upstream.address()));
        }
        span.attribute(statusCode.encoded((long) event.status()));
        span.attribute(upstreamTiming.encoded(upstream.measure().code));
        serverTimings(event, span);
        if (event.status() >= 400) {
            span.attribute(errorType.encoded((long) event.status()));
        }
    }

    /** edge.server_timing.<name> in ms for the backend's timed entries, as many names as caddy.stage.max-server-timings. */
    private void serverTimings(AccessEvent event, SpanRecordEncoder span) {
        ServerTiming timing = event.serverTiming();
        for (StageTime stage : StageTime.backend(event, maxServerTimings)) {
            if (!stage.name().equals(StageTime.OTHER)) {
                span.attribute(AttributeKey.of("edge.server_timing." + stage.name()), stage.millis());
            }
        }
        if (timing.skipped() > 0) {
            span.attribute(SERVER_TIMINGS_SKIPPED, (long) timing.skipped());
        }
    }

    /**
     * The resource of a Caddy host and logger, encoded once for each (by the host as logged), up to a bound. Hosts
     * logged with another port have the same resource, and get the same array: a batch of spans groups a resource's
     * spans by their resource's array.
     */
    private byte[] resource(AccessEvent event) {
        ResourceKey key = new ResourceKey(event.host(), event.logger());
        byte[] resource = resources.get(key);
        if (resource != null) {
            return resource;
        }
        ResourceKey contents = new ResourceKey(hostOnly(event.host()), event.logger());
        resource = resourcesByContents.get(contents);
        if (resource == null) {
            List<Map.Entry<String, String>> attributes = new ArrayList<>(resourceAttributes);
            attributes.add(Map.entry("caddy.host", contents.host()));
            attributes.add(Map.entry("caddy.logger", contents.logger()));
            resource = SpanRecordEncoder.encodedResource(attributes);
        }
        if (resources.size() < MAX_REPEATED_VALUES && event.host().length() + event.logger().length() <= MAX_REPEATED_CHARS) {
            // another stream thread may have encoded it first: theirs, so that there is one array
            byte[] earlier = resourcesByContents.putIfAbsent(contents, resource);
            resource = earlier == null ? resource : earlier;
            resources.put(key, resource);
        }
        return resource;
    }

    private record ResourceKey(String host, String logger) {
    }

    private static byte[] serverAttributes(String host) {
        byte[] address = SpanRecordEncoder.encodedAttribute(SERVER_ADDRESS, hostOnly(host));
        int port = portOf(host);
        if (port < 0) {
            return address;
        }
        return joined(address, SpanRecordEncoder.encodedAttribute(SERVER_PORT, port));
    }

    /** network.protocol.name and .version of an HTTP protocol; none for another. */
    private static byte[] protocolAttributes(String protocol) {
        String version = protocolVersion(protocol);
        if (version == null) {
            return new byte[0];
        }
        return joined(SpanRecordEncoder.encodedAttribute(PROTOCOL_NAME, "http"), SpanRecordEncoder.encodedAttribute(PROTOCOL_VERSION, version));
    }

    /** Two encoded attributes as one, in this order. */
    private static byte[] joined(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** The upstream span's flags: sampled as its parent, which is local (made here), not remote. */
    private static int localChildFlags(TraceContext trace) {
        return (trace.sampled() ? 0x01 : 0x00) | SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK_VALUE;
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

    private void methodAttributes(AccessEvent e, SpanRecordEncoder span) {
        if (KNOWN_METHODS.contains(e.method())) {
            span.attribute(method.encoded(e.method()));
        } else {
            span.attribute(method.encoded("_OTHER"));
            span.attribute(METHOD_ORIGINAL, e.method());
        }
    }

    private void attributes(EnrichedRequest request, SpanRecordEncoder span) {
        AccessEvent e = request.event();
        methodAttributes(e, span);
        span.attribute(PATH, e.path());
        if (e.query() != null) {
            span.attribute(QUERY, e.query());
        }
        span.attribute(scheme.encoded(e.scheme()));
        if (!e.host().isEmpty()) {
            span.attribute(server.encoded(e.host()));
        }
        if (request.route() != null) {
            span.attribute(route.encoded(request.route()));
        }
        span.attribute(statusCode.encoded((long) e.status()));
        span.attribute(RESPONSE_BODY_SIZE, e.size());
        if (e.bytesRead() >= 0) {
            span.attribute(REQUEST_BODY_SIZE, e.bytesRead());
        }
        span.attribute(protocol.encoded(e.protocol()));
        String client = clientAddress.apply(e.clientAddress());
        if (client != null && !client.isEmpty()) {
            span.attribute(CLIENT_ADDRESS, client);
        }
        if (e.userAgent() != null) {
            span.attribute(userAgent.encoded(e.userAgent()));
        }
        headers(requestHeaderKeys, e.requestHeaders(), span);
        headers(responseHeaderKeys, e.responseHeaders(), span);
        if (e.tls() != null && e.tls().protocolVersion() != null) {
            span.attribute(tlsVersion.encoded(e.tls().protocolVersion()));
        }
        Identity identity = request.identity();
        if (!identity.id().isEmpty()) {
            span.attribute(USER_ID, identity.id());
        }
        span.attribute(group.encoded(identity.group()));
        if (identity.tenant() != null) {
            span.attribute(tenant.encoded(identity.tenant()));
        }
        if (!identity.roles().isEmpty()) {
            span.attribute(ROLES, identity.roles());
        }
        PolicyVerdict verdict = request.verdict();
        span.attribute(observed.encoded(verdict.observed().code()));
        if (verdict.expected() != null) {
            span.attribute(decision.encoded(verdict.expected().code()));
        }
        if (verdict.misfire() != null) {
            span.attribute(misfire.encoded(verdict.misfire().code()));
        }
        if (verdict.sloMs() != null) {
            span.attribute(sloMs.encoded(verdict.sloMs()));
            span.attribute(SLO_BREACHED, verdict.sloBreached());
        }
    }

    /**
     * The semantic conventions' key of a header attribute: the prefix and the name in lower case. Kept in the names'
     * order, since Map.copyOf's order changes from one JVM to the next: a replayed line would get other bytes.
     */
    private static Map<String, AttributeKey> attributeKeys(String prefix, Set<String> names) {
        Map<String, AttributeKey> keys = new LinkedHashMap<>();
        names.forEach(name -> keys.put(name, AttributeKey.of(prefix + name.toLowerCase(Locale.ROOT))));
        return Collections.unmodifiableMap(keys);
    }

    /** Captured headers as string arrays, since a header may be sent more than once. */
    private static void headers(Map<String, AttributeKey> keys, Map<String, List<String>> logged, SpanRecordEncoder span) {
        keys.forEach((name, key) -> {
            List<String> values = AccessEvent.headerValues(logged, name);
            if (!values.isEmpty()) {
                span.attribute(key, values);
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

    /**
     * The port of a host as logged, 1 to 65535 in ASCII digits, or -1. The client writes its Host, and Go's server takes
     * any digits after the colon ("example.com:99999"); Integer.parseInt would take a sign and the digits of every script.
     */
    private static int portOf(String host) {
        int colon = host.lastIndexOf(':');
        boolean bracketed = host.startsWith("[");
        if (colon < 0 || (bracketed && colon < host.indexOf(']')) || (!bracketed && host.indexOf(':') != colon)
                || host.length() - colon - 1 > 5) {
            return -1;
        }
        int port = 0;
        for (int i = colon + 1; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port >= 1 && port <= 65535 ? port : -1;
    }

    private static Repeated<String> strings(String name) {
        AttributeKey key = AttributeKey.of(name);
        return new Repeated<>(value -> SpanRecordEncoder.encodedAttribute(key, value));
    }

    private static Repeated<Long> integers(String name) {
        AttributeKey key = AttributeKey.of(name);
        return new Repeated<>(value -> SpanRecordEncoder.encodedAttribute(key, (long) value));
    }

    /**
     * An attribute whose values repeat from request to request (method, scheme, group, status, ...): each value is
     * encoded once and its bytes copied into every span that has it, up to a bound of values, and of a value's length.
     */
    private static final class Repeated<V> {
        private final Map<V, byte[]> encodings = new ConcurrentHashMap<>();
        private final Function<V, byte[]> encoding;

        Repeated(Function<V, byte[]> encoding) {
            this.encoding = encoding;
        }

        byte[] encoded(V value) {
            byte[] encoded = encodings.get(value);
            if (encoded != null) {
                return encoded;
            }
            encoded = encoding.apply(value);
            if (encodings.size() < MAX_REPEATED_VALUES && !(value instanceof String text && text.length() > MAX_REPEATED_CHARS)) {
                encodings.put(value, encoded);
            }
            return encoded;
        }
    }
}
