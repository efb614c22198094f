package dev.caddylightstep.http;

import dev.caddylightstep.testing.FatalFailures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.aggregate.AggregateStage;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.topology.StreamsProperties;
import dev.caddylightstep.topics.TopicLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of the application, one of which never answers the queries another makes of it, as an instance stuck
 * in a long pause would: the window queries wait on it for seconds, and the probes must answer meanwhile, or the
 * orchestrator restarts a healthy pod.
 */
@ExtendWith(SharedBroker.class)
class HealthUnderLoadTest {
    private static final int MAX_QUERIES = 2;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedKafka kafka;
    private static Application app;
    private static PipelineStreams silent;
    /** Where the silent instance says its windows can be asked for: a port that takes connections and never answers. */
    private static ServerSocket neverAnswers;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start(EmbeddedKafka shared) throws Exception {
        kafka = shared;
        neverAnswers = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Settings settings = settings("answering");
        PipelineConfig config = PipelineConfig.from(settings);
        kafka.createTopics(TopicLayout.topics(config.topics(), 4, (short) 1));
        app = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(settings), Optional.empty(), HttpSettings.from(settings), FatalFailures.END_THE_FORK);
        app.start();
        PipelineConfig silentConfig = PipelineConfig.from(settings("silent"));
        Properties props = StreamsProperties.of(silentConfig);
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + neverAnswers.getLocalPort());
        silent = new PipelineStreams(silentConfig, props).start();
        String silentHost = "127.0.0.1:" + neverAnswers.getLocalPort();
        await().atMost(Duration.ofSeconds(90)).until(() -> app.isReady() && silent.isRunning() && app.streams().orElseThrow().streams()
                .metadataForAllStreamsClients().stream()
                .filter(m -> (m.host() + ":" + m.port()).equals(silentHost))
                .map(StreamsMetadata::stateStoreNames)
                .anyMatch(stores -> stores.contains(AggregateStage.BY_GROUP_STORE)));
    }

    private static Settings settings(String instance) {
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("health-under-load"));
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", dir.resolve(instance).toString());
        raw.put("caddy.http.port", "0");
        raw.put("caddy.http.max-queries", Integer.toString(MAX_QUERIES));
        return Settings.of(raw);
    }

    @AfterAll
    static void stop() throws Exception {
        silent.close();
        app.close();
        neverAnswers.close();
    }

    private static HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path)).timeout(Duration.ofSeconds(30)).build();
    }

    private static long busy(List<CompletableFuture<HttpResponse<String>>> queries) {
        return queries.stream().filter(q -> q.isDone() && q.join().statusCode() == 503 && q.join().body().contains("busy")).count();
    }

    @Test
    void probesAnswerWhileQueriesWaitOnAnInstanceThatDoesNotAnswer() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> queries = IntStream.range(0, MAX_QUERIES + 3)
                .mapToObj(i -> HTTP.sendAsync(get("/api/windows"), HttpResponse.BodyHandlers.ofString())).toList();
        // past the limit, queries are turned away at once rather than queued behind the slow ones
        await().atMost(Duration.ofSeconds(10)).until(() -> busy(queries) == 3);

        assertThat(HTTP.send(get("/health/live"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(HTTP.send(get("/health/ready"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(queries.stream().filter(q -> !q.isDone()).count()).as("queries still waiting on the silent instance").isEqualTo(MAX_QUERIES);

        for (CompletableFuture<HttpResponse<String>> query : queries) {
            assertThat(query.get().statusCode()).isEqualTo(503);
        }
        assertThat(queries.stream().map(CompletableFuture::join).filter(r -> r.body().contains("did not answer")).count()).isEqualTo(MAX_QUERIES);
    }
}
