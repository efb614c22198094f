package dev.caddylightstep.forward;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One SDK resource and one instrumentation scope per distinct value read from the spans topic. OpenTelemetry's
 * exporter groups the spans of a request by resource and scope identity, and caches their encoding by identity: spans
 * that each brought their own equal copy would each be sent under a resource of their own, encoded again every time.
 * Only the forwarder's thread uses it.
 */
final class KnownResources {
    /** The spans topic holds a handful of resources; the bound keeps ever-new ones from growing the maps without end. */
    private static final int MAX_KEPT = 1024;

    private final Map<io.opentelemetry.proto.resource.v1.Resource, Resource> resources = new HashMap<>();
    private final Map<InstrumentationScope, InstrumentationScopeInfo> scopes = new HashMap<>();

    Resource resource(io.opentelemetry.proto.resource.v1.Resource proto) {
        return kept(resources, proto, ProtoSpanData::resource);
    }

    InstrumentationScopeInfo scope(InstrumentationScope proto) {
        return kept(scopes, proto, ProtoSpanData::scope);
    }

    private static <K, V> V kept(Map<K, V> known, K key, Function<K, V> decode) {
        V value = known.get(key);
        if (value != null) {
            return value;
        }
        if (known.size() >= MAX_KEPT) {
            known.clear();
        }
        value = decode.apply(key);
        known.put(key, value);
        return value;
    }
}
