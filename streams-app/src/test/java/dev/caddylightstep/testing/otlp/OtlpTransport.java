package dev.caddylightstep.testing.otlp;

import java.io.IOException;
import java.net.InetSocketAddress;

/** The wire an {@link OtlpReceiver} speaks, named like the values of {@code OTEL_EXPORTER_OTLP_PROTOCOL}. */
public enum OtlpTransport {
    /** OTLP/HTTP with protobuf bodies: {@code POST /v1/traces}, optionally gzip-encoded. */
    HTTP_PROTOBUF(HttpListener.TRACES_PATH) {
        @Override
        OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake) throws IOException {
            return HttpListener.listen(address, maxMessageBytes, intake);
        }
    },
    /** OTLP/gRPC in plaintext HTTP/2: {@code opentelemetry.proto.collector.trace.v1.TraceService/Export}. */
    GRPC("") {
        @Override
        OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake) throws IOException {
            return GrpcListener.listen(address, maxMessageBytes, intake);
        }
    };

    private final String tracesPath;

    OtlpTransport(String tracesPath) {
        this.tracesPath = tracesPath;
    }

    /** What a client appends to the base endpoint to reach the traces service: gRPC routes by method, not path. */
    String tracesPath() {
        return tracesPath;
    }

    abstract OtlpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake) throws IOException;
}
