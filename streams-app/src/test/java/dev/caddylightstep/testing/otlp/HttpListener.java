package dev.caddylightstep.testing.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** OTLP/HTTP with protobuf bodies on the JDK's own HTTP server, so the receiver needs no web framework. */
final class HttpListener implements OtlpListener {
    static final String TRACES_PATH = "/v1/traces";
    static final String METRICS_PATH = "/v1/metrics";
    private static final String PROTOBUF = "application/x-protobuf";

    private final HttpServer server;
    private final ExecutorService handlers;

    private HttpListener(HttpServer server, ExecutorService handlers) {
        this.server = server;
        this.handlers = handlers;
    }

    /** Decodes a body of one signal and hands it on; the verdict is the client's answer. */
    @FunctionalInterface
    private interface Signal {
        ExportVerdict receive(byte[] message, RequestHeaders headers) throws InvalidProtocolBufferException;
    }

    static HttpListener listen(InetSocketAddress address, int maxMessageBytes, ExportIntake intake, MetricsIntake metrics) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        server.createContext(TRACES_PATH, exchange -> answer(exchange, TRACES_PATH, "ExportTraceServiceRequest", maxMessageBytes,
                (message, headers) -> intake.receive(ExportTraceServiceRequest.parseFrom(message), headers), ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
        server.createContext(METRICS_PATH, exchange -> answer(exchange, METRICS_PATH, "ExportMetricsServiceRequest", maxMessageBytes,
                (message, headers) -> metrics.receive(ExportMetricsServiceRequest.parseFrom(message), headers), ExportMetricsServiceResponse.getDefaultInstance().toByteArray()));
        // requests on several connections are answered at once, as by a collector, not one after another
        ExecutorService handlers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "otlp-http-handler");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        server.start();
        return new HttpListener(server, handlers);
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void stop() {
        server.stop(0);
        handlers.shutdownNow();
    }

    @Override
    public void drain(java.time.Duration grace) {
        // HttpServer waits for the exchanges in progress, in whole seconds
        server.stop((int) Math.max(1, grace.toSeconds()));
        handlers.shutdown();
    }

    private static void answer(HttpExchange exchange, String path, String message, int maxMessageBytes, Signal signal, byte[] accepted)
            throws IOException {
        try {
            ExportVerdict verdict = judge(exchange, path, message, maxMessageBytes, signal);
            respond(exchange, verdict, accepted);
        } finally {
            exchange.close();
        }
    }

    private static ExportVerdict judge(HttpExchange exchange, String path, String messageName, int maxMessageBytes, Signal signal)
            throws IOException {
        // the context matches by prefix; OTLP has exactly one path per signal
        if (!path.equals(exchange.getRequestURI().getPath())) {
            return ExportVerdict.refused(404, "exports are posted to " + path);
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "POST");
            return ExportVerdict.refused(405, "exports are made with POST");
        }
        if (!isProtobuf(exchange.getRequestHeaders().getFirst("Content-Type"))) {
            return ExportVerdict.refused(415, "only " + PROTOBUF + " bodies are decoded");
        }
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("gzip") && !encoding.equalsIgnoreCase("identity")) {
            return ExportVerdict.refused(415, "Content-Encoding " + encoding + " is not supported, only gzip");
        }
        byte[] message;
        try (InputStream body = decompressed(exchange.getRequestBody(), encoding)) {
            message = body.readNBytes(maxMessageBytes);
            if (body.read() != -1) {
                // read to the end, so that the client gets this answer rather than a connection reset mid-body
                exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
                return ExportVerdict.refused(413, "the request is larger than " + maxMessageBytes + " bytes");
            }
        } catch (ZipException e) {
            return ExportVerdict.refused(400, "the body is not gzip: " + e.getMessage());
        }
        try {
            return signal.receive(message, new RequestHeaders(exchange.getRequestHeaders()));
        } catch (InvalidProtocolBufferException e) {
            return ExportVerdict.refused(400, "the body is not an " + messageName + ": " + e.getMessage());
        }
    }

    private static boolean isProtobuf(String contentType) {
        if (contentType == null) {
            return false;
        }
        int parameters = contentType.indexOf(';');
        String mediaType = parameters < 0 ? contentType : contentType.substring(0, parameters);
        return mediaType.trim().toLowerCase(Locale.ROOT).equals(PROTOBUF);
    }

    private static InputStream decompressed(InputStream body, String encoding) throws IOException {
        return "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(body) : body;
    }

    private static void respond(HttpExchange exchange, ExportVerdict verdict, byte[] accepted) throws IOException {
        // OTLP/HTTP answers a refusal with a google.rpc.Status body, which exporters quote in their error
        byte[] body = verdict.accepted()
                ? verdict.dropped() > 0 ? verdict.traceResponse().toByteArray() : accepted
                : Status.newBuilder().setCode(verdict.grpcCode().value()).setMessage(verdict.reason()).build().toByteArray();
        exchange.getResponseHeaders().set("Content-Type", PROTOBUF);
        // -1 announces an empty body; 0 would mean a chunked one
        exchange.sendResponseHeaders(verdict.httpStatus(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }
}
