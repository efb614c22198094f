package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker away for longer than the producer blocks on a send (max.block.ms): the shipper waits for it, then ships
 * every line once. It stopped instead, and a restart shipped again the lines after its last checkpoint. A broker of its
 * own, which it stops.
 */
class ShipThroughBrokerOutageTest {
    @TempDir
    Path dir;

    @Test
    void theShipperWaitsForABrokerThatIsAwayAndShipsEveryLineOnce() throws Exception {
        Path log = dir.resolve("access.log");
        List<String> before = NumberedLines.of(200, 0);
        List<String> during = NumberedLines.of(200, 200);
        Files.write(log, before);
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("broker")).build().start()) {
            kafka.createTopics(List.of(new NewTopic("outage.access", 2, (short) 1), new NewTopic("outage.dlq", 1, (short) 1)));
            // a send gives up on the topic's metadata after 2 s rather than the default minute
            try (InProcessShipper shipper = InProcessShipper.start("--file", log.toString(), "--from-beginning",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "outage.access", "--set", "caddy.topic.access-dlq=outage.dlq",
                    "--set", "producer.max.block.ms=2000", "--progress-interval", "0")) {
                shipper.awaitFollowing(log);
                assertThat(TopicRecords.values(kafka.bootstrapServers(), "outage.access", before.size(), Duration.ofSeconds(60))).hasSize(200);

                kafka.stop();
                Files.write(log, during, StandardOpenOption.APPEND);
                // several times max.block.ms, each of which used to stop the shipper
                Thread.sleep(8_000);
                kafka.start();

                List<String> all = new ArrayList<>(before);
                all.addAll(during);
                assertThat(TopicRecords.valuesOnceDistinct(kafka.bootstrapServers(), "outage.access", all.size(), Duration.ofSeconds(90)))
                        .as(shipper.stderr())
                        .containsExactlyInAnyOrderElementsOf(all);
                assertThat(TopicRecords.endOffsets(kafka.bootstrapServers(), "outage.access")).isEqualTo(all.size());
                assertThat(shipper.command().metrics().lines()).isEqualTo(all.size());
            }
        }
    }
}
