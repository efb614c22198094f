package dev.caddylightstep.loadtest.soak;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The soak's OTLP backend in a process of its own: an OTLP/gRPC trace endpoint that decodes every export and appends
 * the trace id and span id of each span to a file before it answers, so that an acknowledged span is on record even
 * if the process is killed the next moment, and a span recorded and then killed before its answer comes back again as
 * a duplicate, as from a real backend. Arguments: PORT FILE.
 */
public final class SoakReceiver {
    static final String READY = "soak receiver listening";
    /** A trace id (16 bytes) and a span id (8), per span received. */
    static final int RECORD_BYTES = 24;
    /** Lightstep's limit, about 16 MB: the soak's backend refuses nothing for its size (the forwarder's exports stay under 2 MiB). */
    private static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private SoakReceiver() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(args[0]);
        FileChannel file = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                // the restart after an outage must win the port back while the old connections sit in TIME_WAIT
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(new TraceService(file))
                .build()
                .start();
        System.out.println(READY + " on 127.0.0.1:" + server.getPort());
        server.awaitTermination();
    }

    private static final class TraceService extends TraceServiceGrpc.TraceServiceImplBase {
        private final FileChannel file;

        TraceService(FileChannel file) {
            this.file = file;
        }

        @Override
        public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
            record(request);
            response.onNext(ExportTraceServiceResponse.getDefaultInstance());
            response.onCompleted();
        }

        private void record(ExportTraceServiceRequest request) {
            int spans = 0;
            for (ResourceSpans resource : request.getResourceSpansList()) {
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                    spans += scope.getSpansCount();
                }
            }
            ByteBuffer records = ByteBuffer.allocate(spans * RECORD_BYTES);
            for (ResourceSpans resource : request.getResourceSpansList()) {
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                    for (Span span : scope.getSpansList()) {
                        records.put(padded(span.getTraceId().toByteArray(), 16)).put(padded(span.getSpanId().toByteArray(), 8));
                    }
                }
            }
            records.flip();
            // one write per request, appended whole: concurrent requests never interleave their records
            synchronized (file) {
                try {
                    while (records.hasRemaining()) {
                        file.write(records);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        private static byte[] padded(byte[] id, int length) {
            return id.length == length ? id : java.util.Arrays.copyOf(id, length);
        }
    }
}
