package dev.caddylightstep.testing.otlp;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** OTLP/gRPC in plaintext HTTP/2 on grpc-java's Netty server; gzip-compressed messages are accepted. */
final class GrpcListener implements OtlpListener {
    private static final Context.Key<RequestHeaders> HEADERS = Context.key("otlp-request-headers");

    private final Server server;

    private GrpcListener(Server server) {
        this.server = server;
    }

    static GrpcListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake, MetricsIntake metrics) throws IOException {
        Server server = NettyServerBuilder.forAddress(address)
                .maxInboundMessageSize(maxMessageBytes)
                // a restart must win the port back even while the last connections sit in TIME_WAIT
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(ServerInterceptors.intercept(new TraceService(intake), new HeaderCapture()))
                .addService(ServerInterceptors.intercept(new MetricsService(metrics), new HeaderCapture()))
                .build();
        return new GrpcListener(server.start());
    }

    @Override
    public int port() {
        return server.getPort();
    }

    @Override
    public void drain(java.time.Duration grace) {
        server.shutdown();
        try {
            server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop();
    }

    @Override
    public void stop() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class TraceService extends TraceServiceGrpc.TraceServiceImplBase {
        private final ExportIntake intake;

        TraceService(ExportIntake intake) {
            this.intake = intake;
        }

        @Override
        public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
            ExportVerdict verdict = intake.receive(request, HEADERS.get());
            if (!verdict.accepted()) {
                response.onError(Status.fromCode(verdict.grpcCode()).withDescription(verdict.reason()).asRuntimeException());
                return;
            }
            response.onNext(verdict.traceResponse());
            response.onCompleted();
        }
    }

    private static final class MetricsService extends MetricsServiceGrpc.MetricsServiceImplBase {
        private final MetricsIntake intake;

        MetricsService(MetricsIntake intake) {
            this.intake = intake;
        }

        @Override
        public void export(ExportMetricsServiceRequest request, StreamObserver<ExportMetricsServiceResponse> response) {
            ExportVerdict verdict = intake.receive(request, HEADERS.get());
            if (!verdict.accepted()) {
                response.onError(Status.fromCode(verdict.grpcCode()).withDescription(verdict.reason()).asRuntimeException());
                return;
            }
            response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
            response.onCompleted();
        }
    }

    /** The service only sees messages, so the metadata travels to it in the call's context. */
    private static final class HeaderCapture implements ServerInterceptor {
        private static final Base64.Encoder BASE64 = Base64.getEncoder().withoutPadding();

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata metadata,
                                                          ServerCallHandler<Q, A> next) {
            Context context = Context.current().withValue(HEADERS, headersOf(metadata));
            return Contexts.interceptCall(context, call, metadata, next);
        }

        private static RequestHeaders headersOf(Metadata metadata) {
            Map<String, List<String>> values = new LinkedHashMap<>();
            for (String name : metadata.keys()) {
                values.put(name, valuesOf(metadata, name));
            }
            return new RequestHeaders(values);
        }

        private static List<String> valuesOf(Metadata metadata, String name) {
            List<String> values = new ArrayList<>();
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                // binary metadata travels base64-encoded, so that is how it is kept
                metadata.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))
                        .forEach(bytes -> values.add(BASE64.encodeToString(bytes)));
            } else {
                metadata.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)).forEach(values::add);
            }
            return values;
        }
    }
}
