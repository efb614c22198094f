package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.connectors.CaddyProcess;
import dev.caddylightstep.connectors.RecipeFiles;
import dev.caddylightstep.connectors.Upstream;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Caddy (Debian's 2.6.2) with the Caddyfile recipes of connectors/caddy/: a site logging to a file
 * it rolls every MiB, and a site logging through the net writer; real HTTP requests; both shippers running.
 * Skipped when caddy is not installed.
 */
@ExtendWith(SharedBroker.class)
class ShipRealCaddyTest {
    private static final int FILE_REQUESTS = 1_500;
    private static final int NET_REQUESTS = 300;
    /** Makes each logged line about 2 KiB, so that 1,500 requests roll the 1 MiB file a few times. */
    private static final String PADDING = "x".repeat(1_500);
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        assumeTrue(CaddyProcess.installed(), "caddy is not installed (apt-get install -y caddy)");
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("real.file.access", 1, (short) 1), new NewTopic("real.net.access", 1, (short) 1),
                new NewTopic("real.dlq", 1, (short) 1)));
    }

    @Test
    void everyRequestArrivesThroughTheRollingFileAndTheNetWriter() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        // the shipper starts before Caddy's first write; Caddy appends to the existing file
        Path accessLog = Files.createFile(logs.resolve("access.log"));
        try (Upstream upstream = Upstream.start();
                InProcessShipper fileShipper = InProcessShipper.start("--file", accessLog.toString(), "--from-beginning",
                        "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "real.file.access",
                        "--set", "caddy.topic.access-dlq=real.dlq", "--progress-interval", "0");
                InProcessShipper netShipper = InProcessShipper.start("--listen", "127.0.0.1:0",
                        "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "real.net.access",
                        "--set", "caddy.topic.access-dlq=real.dlq", "--progress-interval", "0")) {
            fileShipper.awaitFollowing(accessLog);
            InetSocketAddress shipperAddress = netShipper.awaitListening(Duration.ofSeconds(30));
            String caddyfile = CaddyProcess.withTestOptions(RecipeFiles.read("caddy/rolling-file.Caddyfile") + "\n"
                    + RecipeFiles.read("caddy/net-writer.Caddyfile"));
            try (CaddyProcess caddy = CaddyProcess.start(dir.resolve("caddy"), caddyfile, 2, ports -> Map.of(
                    "CADDY_SITE", "http://127.0.0.1:" + ports.get(0),
                    "CADDY_NET_SITE", "http://127.0.0.1:" + ports.get(1),
                    "CADDY_LOG_DIR", logs.toString(),
                    "CADDY_ROLL_SIZE", "1MiB",
                    "CADDY_UPSTREAM", upstream.address(),
                    "CADDY_SHIP_ADDRESS", "127.0.0.1:" + shipperAddress.getPort()))) {
                int filePort = caddy.ports().get(0);
                int netPort = caddy.ports().get(1);
                List<String> fileIds = request(filePort, "f", FILE_REQUESTS);
                List<String> netIds = request(netPort, "n", NET_REQUESTS);

                List<String> viaFile = requestIds(TopicRecords.values(kafka.bootstrapServers(), "real.file.access", FILE_REQUESTS,
                        Duration.ofSeconds(60)));
                List<String> viaNet = requestIds(TopicRecords.values(kafka.bootstrapServers(), "real.net.access", NET_REQUESTS,
                        Duration.ofSeconds(60)));
                List<Path> rolled;
                try (var files = Files.list(logs)) {
                    rolled = files.filter(p -> p.getFileName().toString().matches("access-.*\\.log(\\.gz)?")).toList();
                }

                assertThat(rolled).as("Caddy rolled the log").hasSizeGreaterThanOrEqualTo(2);
                assertThat(viaFile).containsExactlyInAnyOrderElementsOf(fileIds);
                assertThat(viaNet).containsExactlyInAnyOrderElementsOf(netIds);
            }
            assertThat(fileShipper.stop()).isZero();
            assertThat(netShipper.stop()).isZero();
        }
    }

    /** Sends the requests, eight at a time, each with its own id in the query; returns the ids. */
    private static List<String> request(int port, String prefix, int count) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Semaphore inFlight = new Semaphore(8);
        List<CompletableFuture<Integer>> statuses = new ArrayList<>();
        List<String> ids = IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
        for (String id : ids) {
            inFlight.acquire();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/items/" + id + "?req=" + id))
                    .header("X-Padding", PADDING).build();
            statuses.add(client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> inFlight.release()).thenApply(HttpResponse::statusCode));
        }
        for (CompletableFuture<Integer> status : statuses) {
            assertThat(status.get()).isEqualTo(200);
        }
        return ids;
    }

    private static List<String> requestIds(List<String> lines) {
        return lines.stream().map(line -> URI.create(CaddyCapture.tree(line).path("request").path("uri").asText()).getQuery())
                .map(query -> query.substring("req=".length())).toList();
    }
}
