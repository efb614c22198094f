package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.caddylightstep.aggregate.AggregateStage;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.testing.FatalFailures;
import dev.caddylightstep.topology.StreamsProperties;
import dev.caddylightstep.topics.TopicLayout;
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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With CADDY_HTTP_TOKEN set, an instance asks the others for the windows it does not hold with the same token: every
 * instance requires it, and without it the groups held elsewhere answered 503.
 */
@ExtendWith(SharedBroker.class)
class PeerQueriesTest {
    private static final String TOKEN = "peer-token-0123456789abcdef";

    @TempDir
    Path dir;

    private Settings settings(EmbeddedKafka kafka, String instance) {
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("peer-queries"));
        raw.putAll(Map.of("bootstrap.servers", kafka.bootstrapServers(), "state.dir", dir.resolve(instance).toString(), "caddy.http.port", "0",
                "caddy.http.token", TOKEN));
        return Settings.of(raw);
    }

    @Test
    void anInstanceAsksTheOthersWithTheToken(EmbeddedKafka kafka) throws Exception {
        List<String> authorizations = new CopyOnWriteArrayList<>();
        HttpServer peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        peer.createContext("/api/windows", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        peer.start();
        try {
            Settings settings = settings(kafka, "asking");
            PipelineConfig config = PipelineConfig.from(settings);
            kafka.createTopics(TopicLayout.topics(config.topics(), 4, (short) 1));
            PipelineConfig otherConfig = PipelineConfig.from(settings(kafka, "other"));
            Properties props = StreamsProperties.of(otherConfig);
            String peerHost = "127.0.0.1:" + peer.getAddress().getPort();
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, peerHost);
            try (Application app = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(settings), Optional.empty(),
                         HttpSettings.from(settings), FatalFailures.END_THE_FORK).start();
                 PipelineStreams other = new PipelineStreams(otherConfig, props).start()) {
                await().atMost(Duration.ofSeconds(90)).until(() -> app.isReady() && other.isRunning() && app.streams().orElseThrow().streams()
                        .metadataForAllStreamsClients().stream()
                        .filter(m -> (m.host() + ":" + m.port()).equals(peerHost))
                        .map(StreamsMetadata::stateStoreNames)
                        .anyMatch(stores -> stores.contains(AggregateStage.BY_GROUP_STORE)));
                HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + app.httpPort() + "/api/windows"))
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(authorizations).containsExactly("Bearer " + TOKEN);
            }
        } finally {
            peer.stop(0);
        }
    }
}
