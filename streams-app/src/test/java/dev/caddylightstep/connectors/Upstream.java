package dev.caddylightstep.connectors;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The backend behind Caddy's reverse_proxy in tests: remembers what each request carried and answers 200,
 * or for a path containing /sleep/N after N milliseconds, or for /status/NNN with that status. With
 * {@code ?db=D&cache=C} it works as a backend that times its database and cache: it sleeps D + C milliseconds and
 * answers {@code Server-Timing: db;dur=D, cache;dur=C}, and {@code &extra=V} (URL-encoded) adds a second
 * Server-Timing header of value V.
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
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (query.containsKey("db") && query.containsKey("cache")) {
                int db = Integer.parseInt(query.get("db"));
                int cache = Integer.parseInt(query.get("cache"));
                sleep(db + cache);
                exchange.getResponseHeaders().add("Server-Timing", "db;dur=" + db + ", cache;dur=" + cache);
                if (query.containsKey("extra")) {
                    exchange.getResponseHeaders().add("Server-Timing", query.get("extra"));
                }
            }
            if (path.contains("/sleep/")) {
                sleep(Long.parseLong(path.substring(path.indexOf("/sleep/") + 7).split("/")[0]));
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> parameters = new HashMap<>();
        if (raw != null) {
            for (String parameter : raw.split("&")) {
                int equals = parameter.indexOf('=');
                if (equals > 0) {
                    parameters.put(parameter.substring(0, equals), URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return parameters;
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
