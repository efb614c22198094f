package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.aggregate.WindowQueries;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.query.Peers;
import dev.caddylightstep.slo.SloQueries;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.topology.PipelineTopology;
import dev.caddylightstep.topology.StreamsProperties;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queries of an instance whose streams no longer run: closed, as while the instance stops (the streams close
 * before the HTTP server does), or failed. Kafka Streams refuses them then, and a client is told 503, which it retries
 * elsewhere or later, instead of a connection closed without an answer.
 */
class QueriesOfStoppedStreamsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    private static KafkaStreams streams;
    private static OpsServer server;

    @BeforeAll
    static void start() throws Exception {
        // never started: no broker is asked for anything
        Settings settings = Settings.of(Map.of("bootstrap.servers", "127.0.0.1:9", "state.dir", dir.toString(), "caddy.http.port", "0"));
        PipelineConfig config = PipelineConfig.from(settings);
        streams = new KafkaStreams(PipelineTopology.build(config), StreamsProperties.of(config));
        streams.close(Duration.ofSeconds(10));
        server = new OpsServer(HttpSettings.from(settings), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> true, () -> false,
                AggregateJson.JSON.createObjectNode()).start();
        Peers peers = new Peers(streams, new HostInfo("127.0.0.1", server.port()), null);
        server.serve(new WindowQueries(streams, config.windows(), peers), new SloQueries(streams, peers));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyQueryOfStreamsThatNoLongerRunIsAnswered503() throws Exception {
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        for (String path : new String[] {"/api/windows", "/api/windows/engineering", "/api/windows/engineering/routes", "/api/slo"}) {
            HttpResponse<String> answer = get(path);
            assertThat(answer.statusCode()).as(path).isEqualTo(503);
            assertThat(answer.body()).as(path).contains("the streams are not running");
        }
    }

    /** The server matches /api/windows as a prefix: a path that only starts with it named a group with its first letter cut. */
    @Test
    void aPathThatOnlyStartsWithTheWindowsPathIsNoQuery() throws Exception {
        HttpResponse<String> answer = get("/api/windowsXengineering");
        assertThat(answer.statusCode()).isEqualTo(404);
        assertThat(answer.body()).contains("no such query: /api/windowsXengineering");
    }
}
