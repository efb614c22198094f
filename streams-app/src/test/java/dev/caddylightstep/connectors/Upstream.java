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

/**
 * The backend behind Caddy's reverse_proxy in tests: remembers what each request carried and answers 200,
 * or for a path containing /sleep/N after N milliseconds, or for /status/NNN with that status.
 */
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
            String path = exchange.getRequestURI().getPath();
            int status = 200;
            if (path.contains("/sleep/")) {
                try {
                    Thread.sleep(Long.parseLong(path.substring(path.indexOf("/sleep/") + 7).split("/")[0]));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (path.contains("/status/")) {
                status = Integer.parseInt(path.substring(path.indexOf("/status/") + 8).split("/")[0]);
            }
            byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
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
