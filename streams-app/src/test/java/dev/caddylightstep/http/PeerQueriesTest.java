package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.AggregateStage;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.slo.SloStage;
import dev.caddylightstep.testing.FatalFailures;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.topology.StreamsProperties;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An instance and another one whose HTTP side is a stand-in: with CADDY_HTTP_TOKEN set, the instance asks the other
 * for the windows and objectives it does not hold with the same token (every instance requires it, and without it the
 * groups held elsewhere answered 503), and answers 503 naming the other when that one does not answer.
 */
@ExtendWith(SharedBroker.class)
class PeerQueriesTest {
    private static final String TOKEN = "peer-token-0123456789abcdef";
    private static final String REMOTE_OBJECTIVES = "[{\"group\":\"held-elsewhere\",\"slos\":[{\"slo\":\"availability\",\"target\":0.999,"
            + "\"budget_remaining\":0.5,\"burn_rates\":{\"5m\":0.5,\"30m\":0.5,\"1h\":0.5,\"6h\":0.5,\"3d\":0.5},\"firing\":[],\"evaluated_at_ms\":1}]}]";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int PARTITIONS = 4;

    @TempDir
    static Path dir;
    private static HttpServer peer;
    private static String peerHost;
    private static Application app;
    private static PipelineStreams other;
    /** What the stand-in was asked, as path?query and Authorization header. */
    private static final List<String> asked = new CopyOnWriteArrayList<>();
    private static volatile int peerStatus = 200;
    /** When set, the stand-in sends its answer's headers and first byte, and then nothing until it is counted down. */
    private static volatile CountDownLatch stalled;

    private static Settings settings(EmbeddedKafka kafka, String instance) {
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("peer-queries"));
        raw.putAll(Map.of("bootstrap.servers", kafka.bootstrapServers(), "state.dir", dir.resolve(instance).toString(), "caddy.http.port", "0",
                "caddy.http.token", TOKEN));
        return Settings.of(raw);
    }

    @BeforeAll
    static void start(EmbeddedKafka kafka) throws Exception {
        peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        peer.createContext("/api/windows", exchange -> answer(exchange, "[]"));
        peer.createContext("/api/slo", exchange -> answer(exchange, REMOTE_OBJECTIVES));
        // a stalled answer holds its thread; the others go on
        peer.setExecutor(Executors.newCachedThreadPool());
        peer.start();
        Settings settings = settings(kafka, "asking");
        PipelineConfig config = PipelineConfig.from(settings);
        kafka.createTopics(TopicLayout.topics(config.topics(), PARTITIONS, (short) 1));
        PipelineConfig otherConfig = PipelineConfig.from(settings(kafka, "other"));
        Properties props = StreamsProperties.of(otherConfig);
        peerHost = "127.0.0.1:" + peer.getAddress().getPort();
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, peerHost);
        app = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(settings), Optional.empty(),
                HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
        other = new PipelineStreams(otherConfig, props).start();
        await().atMost(Duration.ofSeconds(90)).until(() -> app.isReady() && other.isRunning() && app.streams().orElseThrow().streams()
                .metadataForAllStreamsClients().stream()
                .filter(m -> (m.host() + ":" + m.port()).equals(peerHost))
                .map(StreamsMetadata::stateStoreNames)
                .anyMatch(stores -> stores.containsAll(List.of(AggregateStage.BY_GROUP_STORE, SloStage.HISTORY_STORE))));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {app, other}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        peer.stop(0);
    }

    @BeforeEach
    void peerAnswers() {
        asked.clear();
        peerStatus = 200;
        stalled = null;
    }

    private static void answer(HttpExchange exchange, String json) throws IOException {
        asked.add(exchange.getRequestURI() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
        CountDownLatch stall = stalled;
        if (stall != null) {
            exchange.sendResponseHeaders(200, json.length());
            exchange.getResponseBody().write(json.getBytes(StandardCharsets.UTF_8), 0, 1);
            exchange.getResponseBody().flush();
            try {
                stall.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
        }
        byte[] body = (peerStatus == 200 ? json : "{\"error\":\"not now\"}").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(peerStatus, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The partitions an instance asked the other for, from the one request it made for {@code path}. */
    private static String partitionsAskedFor(String path) {
        assertThat(asked).hasSize(1);
        Matcher request = Pattern.compile(Pattern.quote(path) + "\\?scope=local&partitions=([0-9,]+) Bearer " + TOKEN).matcher(asked.get(0));
        assertThat(request.matches()).as(asked.get(0)).isTrue();
        return request.group(1);
    }

    @Test
    void anInstanceAsksTheOthersForThePartitionsTheyHoldWithTheToken() throws Exception {
        HttpResponse<String> answer = get("/api/windows");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(partitionsAskedFor("/api/windows").split(",")).isNotEmpty().hasSizeLessThan(PARTITIONS);
    }

    @Test
    void theOthersObjectivesAreAskedForWithTheTokenAndAnswered() throws Exception {
        HttpResponse<String> answer = get("/api/slo");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(partitionsAskedFor("/api/slo").split(",")).isNotEmpty().hasSizeLessThan(PARTITIONS);
        JsonNode groups = AggregateJson.JSON.readTree(answer.body());
        assertThat(groups).isEqualTo(AggregateJson.JSON.readTree(REMOTE_OBJECTIVES));
    }

    /**
     * Every group's windows or objectives are put together from each partition's holder. An instance asked for
     * partitions it does not hold (the metadata names it their holder before their task has moved there) answers 503:
     * answering with what it held, as it did, made the whole answer 200 and short of those partitions' groups.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/api/windows", "/api/slo"})
    void anInstanceAskedForPartitionsItDoesNotHoldAnswersUnavailableNotWhatItHolds(String path) throws Exception {
        assertThat(get(path).statusCode()).isEqualTo(200);
        String elsewhere = partitionsAskedFor(path);
        String here = IntStream.range(0, PARTITIONS).filter(p -> !("," + elsewhere + ",").contains("," + p + ","))
                .mapToObj(String::valueOf).collect(Collectors.joining(","));
        asked.clear();

        HttpResponse<String> notHeld = get(path + "?scope=local&partitions=" + elsewhere);
        HttpResponse<String> held = get(path + "?scope=local&partitions=" + here);

        assertThat(notHeld.statusCode()).as(notHeld.body()).isEqualTo(503);
        assertThat(notHeld.body()).contains("not available right now");
        assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
        assertThat(asked).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"scope=local&partitions=1,x", "scope=local&partitions=", "scope=local&partitions=10000", "partitions=1"})
    void aListOfPartitionsThatIsNotOneIsABadRequest(String query) throws Exception {
        HttpResponse<String> answer = get("/api/windows?" + query);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
    }

    /**
     * An instance that stops half way through its answer (its node gone, its network cut), the connection left open:
     * within the answer's time the query is unavailable, naming it, rather than waiting for as long as the connection
     * lasts while holding one of the query threads. JDK 17's request timeout covers the headers alone.
     */
    @Test
    void anotherInstanceThatStopsHalfWayThroughItsAnswerMakesTheWindowsUnavailable() throws Exception {
        stalled = new CountDownLatch(1);
        try {
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/api/windows"))
                    .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).contains("instance " + peerHost + " did not answer within 5 s");
        } finally {
            stalled.countDown();
        }
    }

    /**
     * Asked for a group whose partition it does not hold (as another instance asks it, with scope=local, when the
     * metadata names it the owner of a task that has not moved there yet), an instance answers 503, not an empty list,
     * which the asking instance passed on as the group having no windows.
     */
    @Test
    void anInstanceAskedForTheWindowsOfAGroupItDoesNotHoldAnswersUnavailableNotEmpty() throws Exception {
        // the first group the instance asks the other for: the metadata names the other its owner
        String elsewhere = null;
        for (int i = 0; elsewhere == null && i < 100; i++) {
            asked.clear();
            assertThat(get("/api/windows/group-" + i).statusCode()).isEqualTo(200);
            elsewhere = asked.isEmpty() ? null : "group-" + i;
        }
        assertThat(elsewhere).isNotNull();
        asked.clear();

        HttpResponse<String> answer = get("/api/windows/" + elsewhere + "?scope=local");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.body()).contains("windows not available right now");
        assertThat(asked).isEmpty();
    }

    @Test
    void anotherInstanceThatDoesNotAnswerMakesTheObjectivesUnavailableAndIsNamed() throws Exception {
        peerStatus = 503;
        HttpResponse<String> answer = get("/api/slo");
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.body()).contains("instance " + peerHost + " answered 503");
    }
}
