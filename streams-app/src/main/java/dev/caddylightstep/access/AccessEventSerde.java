package dev.caddylightstep.access;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.schema.AccessEventRecord;
import dev.caddylightstep.schema.ServerTimingMetricRecord;
import dev.caddylightstep.schema.SpanId;
import dev.caddylightstep.schema.TlsRecord;
import dev.caddylightstep.schema.TraceContextRecord;
import dev.caddylightstep.schema.TraceId;
import dev.caddylightstep.schema.UpstreamTimingRecord;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/** The serde of parsed requests on the application's internal topics (schemas/AccessEventRecord.avsc). */
public final class AccessEventSerde {
    private static final HexFormat HEX = HexFormat.of();

    private AccessEventSerde() {
    }

    public static Serde<AccessEvent> create() {
        return new AvroSerde<>(AccessEventRecord.getClassSchema(), AccessEventSerde::toAvro, AccessEventSerde::fromAvro);
    }

    static AccessEventRecord toAvro(AccessEvent e) {
        return AccessEventRecord.newBuilder()
                .setEndEpochNanos(e.endEpochNanos())
                .setDurationNanos(e.durationNanos())
                .setLogger(e.logger())
                .setMethod(e.method())
                .setHost(e.host())
                .setUri(e.uri())
                .setPath(e.path())
                .setQuery(e.query())
                .setScheme(e.scheme())
                .setProtocol(e.protocol())
                .setRemoteIp(e.remoteIp())
                .setRemotePort(e.remotePort())
                .setClientIp(e.clientIp())
                .setStatus(e.status())
                .setSize(e.size())
                .setBytesRead(e.bytesRead() < 0 ? null : e.bytesRead())
                .setUserId(e.userId())
                .setUserAgent(e.userAgent())
                .setRequestHeaders(e.requestHeaders())
                .setResponseHeaders(e.responseHeaders())
                .setTls(e.tls() == null ? null : new TlsRecord(e.tls().resumed(), e.tls().version(), e.tls().cipherSuite(),
                        e.tls().proto(), e.tls().serverName(), e.tls().clientCommonName()))
                .setTrace(toAvro(e.trace()))
                .setUpstream(e.upstream() == null ? null
                        : new UpstreamTimingRecord(e.upstream().millis(), e.upstream().measure().name(), e.upstream().address()))
                // no stage reads an entry's description: it is written null, the schema unchanged, so that the versions before
                // and after a rolling upgrade read each other's repartitioned requests
                .setServerTiming(e.serverTiming().metrics().stream().map(m -> new ServerTimingMetricRecord(m.name(),
                        m.hasDuration() ? m.durationMillis() : null, null)).toList())
                .setServerTimingSkipped(e.serverTiming().skipped())
                .build();
    }

    private static TraceContextRecord toAvro(TraceContext t) {
        return new TraceContextRecord(
                new TraceId(HEX.parseHex(t.traceId())),
                new SpanId(HEX.parseHex(t.spanId())),
                t.parentSpanId() == null ? null : new SpanId(HEX.parseHex(t.parentSpanId())),
                t.traceState(),
                t.sampled(),
                t.origin().name());
    }

    static AccessEvent fromAvro(AccessEventRecord r) {
        TlsRecord tls = r.getTls();
        TraceContextRecord t = r.getTrace();
        return new AccessEvent(
                r.getEndEpochNanos(),
                r.getDurationNanos(),
                r.getLogger(),
                r.getMethod(),
                r.getHost(),
                r.getUri(),
                r.getPath(),
                r.getQuery(),
                r.getScheme(),
                r.getProtocol(),
                r.getRemoteIp(),
                r.getRemotePort(),
                r.getClientIp(),
                r.getStatus(),
                r.getSize(),
                r.getBytesRead() == null ? -1 : r.getBytesRead(),
                r.getUserId(),
                r.getUserAgent(),
                headers(r.getRequestHeaders()),
                headers(r.getResponseHeaders()),
                tls == null ? null : new TlsInfo(tls.getResumed(), tls.getVersion(), tls.getCipherSuite(), tls.getProto(),
                        tls.getServerName(), tls.getClientCommonName()),
                new TraceContext(
                        HEX.formatHex(t.getTraceId().bytes()),
                        HEX.formatHex(t.getSpanId().bytes()),
                        t.getParentSpanId() == null ? null : HEX.formatHex(t.getParentSpanId().bytes()),
                        t.getTraceState(),
                        t.getSampled(),
                        TraceContext.Origin.valueOf(t.getOrigin())),
                r.getUpstream() == null ? null : new UpstreamTiming(r.getUpstream().getMillis(),
                        UpstreamTiming.Measure.valueOf(r.getUpstream().getMeasure()), r.getUpstream().getAddress()),
                serverTiming(r));
    }

    private static ServerTiming serverTiming(AccessEventRecord r) {
        if (r.getServerTiming().isEmpty() && r.getServerTimingSkipped() == 0) {
            return ServerTiming.NONE;
        }
        return new ServerTiming(r.getServerTiming().stream().map(m -> new ServerTiming.Metric(m.getName(),
                m.getDurationMs() == null ? Double.NaN : m.getDurationMs())).toList(), r.getServerTimingSkipped());
    }

    private static Map<String, List<String>> headers(Map<String, List<String>> avro) {
        return avro == null ? Map.of() : avro;
    }
}
