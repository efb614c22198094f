package dev.caddylightstep.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the application's HTTP server in page tests: the dashboard's files from the
 * classpath folder {@code /dashboard/} at {@code /}, and the four JSON endpoints the page polls
 * answering with whatever the test last gave them.
 */
final class CannedDashboardApi implements AutoCloseable {

    private static final String RESOURCE_FOLDER = "dashboard/";
    private static final String WINDOWS = "/api/windows";
    private static final String ROUTES_SUFFIX = "/routes";
    private static final String CONFIG = "/api/dashboard-config";
    private static final String SLO = "/api/slo";
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicInteger windowRequests = new AtomicInteger();
    private final List<String> routeRequests = new CopyOnWriteArrayList<>();
    private final Map<String, List<Map<String, Object>>> routesByGroup = new ConcurrentHashMap<>();
    private volatile List<List<Map<String, Object>>> windowAnswers = List.of(List.of());
    private volatile List<Map<String, Object>> objectives = List.of();
    private volatile Map<String, Object> config = Map.of("trace_url_template", "", "window_size_ms", 60_000);

    private CannedDashboardApi(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static CannedDashboardApi start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ExecutorService executor = Executors.newFixedThreadPool(4);
            CannedDashboardApi api = new CannedDashboardApi(server, executor);
            server.createContext("/", api::serveFile);
            server.createContext("/api/", api::serveApi);
            server.setExecutor(executor);
            server.start();
            return api;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the canned dashboard API", e);
        }
    }

    /** The page's address. */
    URI page() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** {@code /api/windows} answers with these windows from now on. */
    void windows(List<Map<String, Object>> windows) {
        windowAnswers = List.of(windows);
    }

    /** {@code /api/windows} answers its first request with {@code first}, every later one with {@code then}. */
    void windowsInTurn(List<Map<String, Object>> first, List<Map<String, Object>> then) {
        windowRequests.set(0);
        windowAnswers = List.of(first, then);
    }

    /** {@code /api/windows/{group}/routes} answers with these windows; other groups have none. */
    void routes(String group, List<Map<String, Object>> windows) {
        routesByGroup.put(group, windows);
    }

    /** {@code /api/slo} answers with these groups' objectives from now on. */
    void objectives(List<Map<String, Object>> groups) {
        objectives = groups;
    }

    void config(String traceUrlTemplate, long windowSizeMs) {
        config = Map.of("trace_url_template", traceUrlTemplate, "window_size_ms", windowSizeMs);
    }

    int windowRequests() {
        return windowRequests.get();
    }

    /** The groups whose routes were asked for, decoded from the request path, in order. */
    List<String> routeRequests() {
        return List.copyOf(routeRequests);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void serveApi(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
            } else if (path.equals(WINDOWS)) {
                sendJson(exchange, nextWindowAnswer());
            } else if (path.equals(SLO)) {
                sendJson(exchange, objectives);
            } else if (path.equals(CONFIG)) {
                sendJson(exchange, config);
            } else if (path.startsWith(WINDOWS + "/") && path.endsWith(ROUTES_SUFFIX)) {
                // The page encodes the group as one path segment, so a '/' in a group arrives as %2F.
                String segment = path.substring(WINDOWS.length() + 1, path.length() - ROUTES_SUFFIX.length());
                String group = URLDecoder.decode(segment, StandardCharsets.UTF_8);
                routeRequests.add(group);
                sendJson(exchange, routesByGroup.getOrDefault(group, List.of()));
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
        }
    }

    private List<Map<String, Object>> nextWindowAnswer() {
        List<List<Map<String, Object>>> answers = windowAnswers;
        int request = windowRequests.getAndIncrement();
        return answers.get(Math.min(request, answers.size() - 1));
    }

    private void serveFile(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String name = path.equals("/") ? "index.html" : path.substring(1);
            String extension = name.substring(name.lastIndexOf('.') + 1);
            if (name.contains("..") || !CONTENT_TYPES.containsKey(extension)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            try (InputStream file = getClass().getClassLoader().getResourceAsStream(RESOURCE_FOLDER + name)) {
                if (file == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                send(exchange, CONTENT_TYPES.get(extension), file.readAllBytes());
            }
        }
    }

    private static void sendJson(HttpExchange exchange, Object body) throws IOException {
        send(exchange, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }
}
