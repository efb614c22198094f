package dev.caddylightstep.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.caddylightstep.access.PercentDecoding;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.WindowQueries;
import dev.caddylightstep.query.Peers;
import dev.caddylightstep.query.QueryScope;
import dev.caddylightstep.slo.SloQueries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's HTTP side: health for the orchestrator, Prometheus metrics, the interactive queries over
 * the latency windows and the groups' objectives, and the dashboard. JDK's built-in server: a handful of small endpoints need no framework.
 *
 * <p>The server's own threads read every request and answer the probes, and nothing else waits on them: the queries
 * (which may wait seconds on another instance), the dashboard's files and /metrics each run on threads of their own,
 * a few at a time, and a request past what its lane takes is answered 503 at once. JDK's server reads a request's head
 * on one of its threads before any handler sees it, so a client that sends half a request and waits holds that thread
 * (slowloris): the server's threads are as many as its connections, and a request whose head is not in within
 * {@link #MAX_REQUEST_SECONDS} is cut, so that a few such clients cannot keep the probes from answering.
 *
 * <p>When CADDY_HTTP_TOKEN is set, /api/* and the dashboard require it as a bearer token; the probes and /metrics stay
 * open, as Kubernetes and Prometheus expect. On loopback, a request that names a host other than a loopback one is
 * refused: a web page whose name an attacker pointed at 127.0.0.1 (DNS rebinding) cannot read the windows.
 */
public final class OpsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "png", "image/png", "svg", "image/svg+xml");
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Pattern LOOPBACK_HOST = Pattern.compile("(localhost|127\\.0\\.0\\.1|\\[::1])(:[0-9]{1,5})?", Pattern.CASE_INSENSITIVE);
    /** How long a request's head may take to arrive; the probes, Prometheus and browsers send theirs at once. */
    static final int MAX_REQUEST_SECONDS = 10;
    /**
     * Connections open at once, each of which may hold a server thread while its head comes in; one more is closed as soon
     * as it is accepted. Enough that a few hundred clients sending half a request cannot shut the probes out.
     */
    static final int MAX_CONNECTIONS = 1024;

    static {
        // JDK's server reads these once per JVM, when it makes its first server; this is the only one the application
        // makes. An operator's own -D values stay.
        defaultProperty("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        defaultProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Lane queryLane;
    private final Lane pageLane;
    private final Lane metricsLane;
    private final BearerToken token;
    private final boolean loopback;
    private volatile WindowQueries queries;
    private volatile SloQueries sloQueries;

    /** Binds the port at once, so that its number is known (for application.server) before anything starts. */
    public OpsServer(HttpSettings settings, PrometheusMeterRegistry registry, BooleanSupplier live, BooleanSupplier ready,
                     ObjectNode dashboardConfig) throws IOException {
        this.server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        // a thread for each request coming in: bounded by MAX_CONNECTIONS, and each only as long as MAX_REQUEST_SECONDS
        this.executor = Executors.newCachedThreadPool(daemon("ops-http"));
        this.queryLane = new Lane("ops-query", settings.maxQueries(), 0);
        this.pageLane = new Lane("ops-page", 2, 32);
        this.metricsLane = new Lane("ops-metrics", 1, 4);
        this.token = settings.token();
        this.loopback = server.getAddress().getAddress().isLoopbackAddress();
        server.setExecutor(executor);
        server.createContext("/health/live", open(exchange -> health(exchange, live.getAsBoolean())));
        server.createContext("/health/ready", open(exchange -> health(exchange, ready.getAsBoolean())));
        server.createContext("/metrics", open(metricsLane.of(exchange -> {
            if (isGet(exchange)) {
                send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8));
            }
        })));
        server.createContext("/api/dashboard-config", guarded(exchange -> {
            if (isGet(exchange)) {
                json(exchange, 200, dashboardConfig.toString());
            }
        }));
        server.createContext("/api/windows", guarded(queryLane.of(exchange -> windows(exchange, queries))));
        server.createContext("/api/slo", guarded(queryLane.of(exchange -> objectives(exchange, sloQueries))));
        server.createContext("/", guarded(pageLane.of(this::dashboard)));
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Every path: on loopback, only requests that name a loopback host are answered. */
    private HttpHandler open(HttpHandler handler) {
        return exchange -> {
            String host = exchange.getRequestHeaders().getFirst("Host");
            if (loopback && (host == null || !LOOPBACK_HOST.matcher(host.strip()).matches())) {
                send(exchange, 403, TEXT, "this server listens on loopback and answers requests for localhost, 127.0.0.1 or [::1] only\n"
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            handler.handle(exchange);
        };
    }

    /** The queries and the dashboard: the bearer token too, when one is set. */
    private HttpHandler guarded(HttpHandler handler) {
        return open(exchange -> {
            if (!token.admits(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"caddy-lightstep\"");
                send(exchange, 401, TEXT, "a bearer token is required: Authorization: Bearer <CADDY_HTTP_TOKEN>\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            handler.handle(exchange);
        });
    }

    /** Answers the window and objective queries with these; until then (and in a forwarder-only process) they answer 404. */
    public void serve(WindowQueries windowQueries, SloQueries objectiveQueries) {
        this.queries = windowQueries;
        this.sloQueries = objectiveQueries;
    }

    public OpsServer start() {
        server.start();
        LOG.info("HTTP on http://{}:{}/ (health, metrics, queries, dashboard)", server.getAddress().getHostString(), port());
        if (!loopback && !token.isRequired()) {
            LOG.warn("HTTP on {} without CADDY_HTTP_TOKEN: the queries and the dashboard answer anyone who reaches this port",
                    server.getAddress().getHostString());
        }
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void health(HttpExchange exchange, boolean ok) throws IOException {
        if (isGet(exchange)) {
            send(exchange, ok ? 200 : 503, TEXT, (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * /api/windows, /api/windows/{group}, /api/windows/{group}/routes; ?scope=local answers for this instance only, and
     * for the partitions named when another instance asks for every group ({@link QueryScope}).
     */
    private static void windows(HttpExchange exchange, WindowQueries queries) throws IOException {
        query(exchange, queries, "windows", (uri, scope) -> {
            String rest = uri.getRawPath().substring("/api/windows".length());
            try {
                if (!rest.isEmpty() && !rest.startsWith("/")) {
                    // the context matches any path that starts with its own: /api/windowsX is not a query of the windows
                    json(exchange, 404, error("no such query: " + uri.getRawPath()));
                    return;
                }
                if (rest.isEmpty() || rest.equals("/")) {
                    json(exchange, 200, queries.allGroups(scope).toString());
                    return;
                }
                String[] parts = rest.substring(1).split("/");
                String group = PercentDecoding.pathSegment(parts[0]);
                if (parts.length == 1) {
                    json(exchange, 200, queries.group(group, scope.local()).toString());
                } else if (parts.length == 2 && parts[1].equals("routes")) {
                    json(exchange, 200, queries.routes(group, scope.local()).toString());
                } else {
                    json(exchange, 404, error("no such query: " + uri.getRawPath()));
                }
            } catch (IllegalArgumentException e) {
                json(exchange, 400, error(e.getMessage()));
            }
        });
    }

    /** /api/slo: every group's objectives; ?scope=local answers for this instance only. */
    private static void objectives(HttpExchange exchange, SloQueries queries) throws IOException {
        query(exchange, queries, "objectives", (uri, scope) -> {
            if (uri.getRawPath().equals("/api/slo")) {
                json(exchange, 200, queries.allGroups(scope).toString());
            } else {
                json(exchange, 404, error("no such query: " + uri.getRawPath()));
            }
        });
    }

    /** Writes the answer to a query, for what its scope says. */
    private interface QueryAnswer {
        void write(URI uri, QueryScope scope) throws IOException;
    }

    /**
     * What the query endpoints share: GET only, 404 in a process without the streams role (no queries yet), 503 while
     * the stores or a peer cannot answer (a rebalance), or the streams no longer run (the instance stopping, or failed),
     * which a client retries, elsewhere or later.
     */
    private static void query(HttpExchange exchange, Object queries, String what, QueryAnswer answer) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        if (queries == null) {
            json(exchange, 404, error("this instance runs no streams role"));
            return;
        }
        URI uri = exchange.getRequestURI();
        QueryScope scope;
        try {
            scope = QueryScope.of(uri.getRawQuery());
        } catch (IllegalArgumentException e) {
            json(exchange, 400, error(e.getMessage()));
            return;
        }
        try {
            answer.write(uri, scope);
        } catch (InvalidStateStoreException | Peers.UnavailableException e) {
            json(exchange, 503, error(what + " not available right now (" + e.getMessage() + "); try again"));
        } catch (IllegalStateException e) {
            // Kafka Streams' answer to queries once it is past running (PENDING_SHUTDOWN, NOT_RUNNING, ERROR)
            json(exchange, 503, error(what + " not available: the streams are not running (" + e.getMessage() + ")"));
        }
    }

    private void dashboard(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return;
        }
        String path = exchange.getRequestURI().getPath();
        String file = path.equals("/") ? "index.html" : path.substring(1);
        if (file.contains("..") || file.contains("/")) {
            send(exchange, 404, TEXT, "not found\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (InputStream in = OpsServer.class.getResourceAsStream("/dashboard/" + file)) {
            if (in == null) {
                send(exchange, 404, TEXT, "not found\n".getBytes(StandardCharsets.UTF_8));
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
        send(exchange, 405, TEXT, "method not allowed\n".getBytes(StandardCharsets.UTF_8));
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
        queryLane.close();
        pageLane.close();
        metricsLane.close();
    }

    /**
     * Work handed off the server's threads: at most {@code threads} requests at once and {@code waiting} more in line;
     * past that, 503 at once, with Retry-After.
     */
    private static final class Lane {
        private final String name;
        private final ThreadPoolExecutor executor;

        Lane(String name, int threads, int waiting) {
            this.name = name;
            this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                    waiting == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(waiting), daemon(name));
        }

        HttpHandler of(HttpHandler handler) {
            return exchange -> {
                try {
                    executor.execute(() -> {
                        try {
                            handler.handle(exchange);
                        } catch (IOException | RuntimeException e) {
                            LOG.debug("{}: {} {} failed: {}", name, exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e.toString());
                            exchange.close();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    exchange.getResponseHeaders().set("Retry-After", "1");
                    json(exchange, 503, error("busy: as many requests as this server answers at once are under way; try again"));
                }
            };
        }

        void close() {
            executor.shutdownNow();
        }
    }
}
