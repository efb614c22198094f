package dev.caddylightstep.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.caddylightstep.access.PercentDecoding;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.WindowQueries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's HTTP side: health for the orchestrator, Prometheus metrics, the interactive queries over
 * the latency windows, and the dashboard. JDK's built-in server: a handful of small endpoints need no framework.
 */
public final class OpsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "png", "image/png", "svg", "image/svg+xml");

    private final HttpServer server;
    private final ExecutorService executor;
    private volatile WindowQueries queries;

    /** Binds the port at once, so that its number is known (for application.server) before anything starts. */
    public OpsServer(HttpSettings settings, PrometheusMeterRegistry registry, BooleanSupplier live, BooleanSupplier ready,
                     ObjectNode dashboardConfig) throws IOException {
        this.server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        this.executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "ops-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/health/live", exchange -> health(exchange, live.getAsBoolean()));
        server.createContext("/health/ready", exchange -> health(exchange, ready.getAsBoolean()));
        server.createContext("/metrics", exchange -> {
            if (isGet(exchange)) {
                send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/api/dashboard-config", exchange -> {
            if (isGet(exchange)) {
                json(exchange, 200, dashboardConfig.toString());
            }
        });
        server.createContext("/api/windows", exchange -> windows(exchange, queries));
        server.createContext("/", this::dashboard);
    }

    /** Answers the window queries with these; until then (and in a forwarder-only process) they answer 404. */
    public void serve(WindowQueries windowQueries) {
        this.queries = windowQueries;
    }

    public OpsServer start() {
        server.start();
        LOG.info("HTTP on http://{}:{}/ (health, metrics, queries, dashboard)", server.getAddress().getHostString(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void health(HttpExchange exchange, boolean ok) throws IOException {
        if (isGet(exchange)) {
            send(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** /api/windows, /api/windows/{group}, /api/windows/{group}/routes; ?scope=local answers for this instance only. */
    private static void windows(HttpExchange exchange, WindowQueries queries) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        if (queries == null) {
            json(exchange, 404, error("this instance runs no streams role"));
            return;
        }
        URI uri = exchange.getRequestURI();
        boolean local = "scope=local".equals(uri.getRawQuery());
        String rest = uri.getRawPath().substring("/api/windows".length());
        try {
            if (rest.isEmpty() || rest.equals("/")) {
                json(exchange, 200, queries.allGroups(local).toString());
                return;
            }
            String[] parts = rest.substring(1).split("/");
            String group = PercentDecoding.pathSegment(parts[0]);
            if (parts.length == 1) {
                json(exchange, 200, queries.group(group, local).toString());
            } else if (parts.length == 2 && parts[1].equals("routes")) {
                json(exchange, 200, queries.routes(group, local).toString());
            } else {
                json(exchange, 404, error("no such query: " + uri.getRawPath()));
            }
        } catch (InvalidStateStoreException | WindowQueries.UnavailableException e) {
            json(exchange, 503, error("windows not available right now (" + e.getMessage() + "); try again"));
        } catch (IllegalArgumentException e) {
            json(exchange, 400, error(e.getMessage()));
        }
    }

    private void dashboard(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        String path = exchange.getRequestURI().getPath();
        String file = path.equals("/") ? "index.html" : path.substring(1);
        if (file.contains("..") || file.contains("/")) {
            send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (InputStream in = OpsServer.class.getResourceAsStream("/dashboard/" + file)) {
            if (in == null) {
                send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String extension = file.substring(file.lastIndexOf('.') + 1);
            send(exchange, 200, CONTENT_TYPES.getOrDefault(extension, "application/octet-stream"), in.readAllBytes());
        }
    }

    private static boolean isGet(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("GET") || exchange.getRequestMethod().equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().add("Allow", "GET, HEAD");
        send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static String error(String message) {
        ObjectNode node = AggregateJson.JSON.createObjectNode();
        node.put("error", message);
        return node.toString();
    }

    private static void json(HttpExchange exchange, int status, String body) throws IOException {
        send(exchange, status, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
