package dev.caddylightstep.connectors;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The backend behind Caddy's reverse_proxy in tests: answers 200 and remembers what each request carried. */
public final class Upstream implements AutoCloseable {
    /** One request as the upstream received it. */
    public record Received(URI uri, Map<String, List<String>> headers) {
        public String header(String name) {
            List<String> values = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();

    private Upstream(HttpServer server) {
        this.server = server;
    }

    public static Upstream start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        Upstream upstream = new Upstream(server);
        server.createContext("/", exchange -> {
            upstream.received.add(new Received(exchange.getRequestURI(), Map.copyOf(exchange.getRequestHeaders())));
            byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(upstream.threads);
        server.start();
        return upstream;
    }

    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
