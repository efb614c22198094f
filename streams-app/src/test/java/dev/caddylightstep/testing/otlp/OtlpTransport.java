package dev.caddylightstep.testing.otlp;

import java.io.IOException;
import java.net.InetSocketAddress;

/** The wire an {@link OtlpReceiver} speaks, named like the values of {@code OTEL_EXPORTER_OTLP_PROTOCOL}. */
public enum OtlpTransport {
    /** OTLP/HTTP with protobuf bodies: {@code POST /v1/traces} and {@code /v1/metrics}, optionally gzip-encoded. */
    HTTP_PROTOBUF(HttpListener.TRACES_PATH, HttpListener.METRICS_PATH) {
        @Override
        OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake, MetricsIntake metrics) throws IOException {
            return HttpListener.listen(address, maxMessageBytes, intake, metrics);
        }
    },
    /** OTLP/gRPC in plaintext HTTP/2: {@code opentelemetry.proto.collector.trace.v1.TraceService/Export} and the MetricsService's. */
    GRPC("", "") {
        @Override
        OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake, MetricsIntake metrics) throws IOException {
            return GrpcListener.listen(address, maxMessageBytes, intake, metrics);
        }
    };

    private final String tracesPath;
    private final String metricsPath;

    OtlpTransport(String tracesPath, String metricsPath) {
        this.tracesPath = tracesPath;
        this.metricsPath = metricsPath;
    }

    /** What a client appends to the base endpoint to reach the metrics service. */
    String metricsPath() {
        return metricsPath;
    }

    /** What a client appends to the base endpoint to reach the traces service: gRPC routes by method, not path. */
    String tracesPath() {
        return tracesPath;
    }

    abstract OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake, MetricsIntake metrics) throws IOException;
}
