package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * Net mode with the broker away: the lines read and not yet acknowledged take at most the producer's buffer.memory,
     * and the sender waits on its socket for the rest, as a slow Kafka slows it. Each send gave up after max.block.ms and
     * its line waited in memory to be sent again, while the connection read the next: a sender (or anyone who reaches the
     * port) filled the heap for as long as the broker was away. Once it is back, every line is shipped once.
     */
    @Test
    void inNetModeTheLinesAwaitingAnAbsentBrokerTakeNoMoreThanTheProducersBuffer() throws Exception {
        String padding = "x".repeat(900_000);
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("broker")).build().start()) {
            kafka.createTopics(List.of(new NewTopic("outage.net", 1, (short) 1), new NewTopic("outage.net.dlq", 1, (short) 1)));
            try (InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--topic", "outage.net", "--set", "caddy.topic.access-dlq=outage.net.dlq", "--set", "producer.max.block.ms=100",
                    "--set", "producer.buffer.memory=4194304", "--progress-interval", "0")) {
                InetSocketAddress address = shipper.awaitListening(Duration.ofSeconds(30));
                List<String> sent = new CopyOnWriteArrayList<>();
                AtomicLong written = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                Thread sender = new Thread(() -> {
                    try (Socket socket = new Socket()) {
                        socket.setSendBufferSize(64 * 1024);
                        socket.connect(address);
                        OutputStream out = socket.getOutputStream();
                        for (int i = 0; !stop.get(); i++) {
                            String line = CaddyCapture.withRequestField(NumberedLines.of(1, i).get(0), "uri", "/" + i + "/" + padding);
                            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                            sent.add(line);
                            written.addAndGet(line.length() + 1);
                            Thread.sleep(20);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "net-sender");
                sender.start();
                // a first line through, so that the producer knows the topic before the broker goes
                assertThat(TopicRecords.values(kafka.bootstrapServers(), "outage.net", 1, Duration.ofSeconds(60))).isNotEmpty();

                kafka.stop();
                long before = written.get();
                Thread.sleep(20_000);
                long duringOutage = written.get() - before;
                stop.set(true);
                kafka.start();
                sender.join(90_000);

                // the producer's 4 MiB, a line being read, and the sockets' buffers; it was a line each 100 ms, 180 MB
                assertThat(duringOutage).as(shipper.stderr()).isLessThan(80_000_000L);
                assertThat(TopicRecords.valuesOnceDistinct(kafka.bootstrapServers(), "outage.net", sent.size(), Duration.ofSeconds(90)))
                        .as(shipper.stderr()).containsExactlyInAnyOrderElementsOf(sent);
            }
        }
    }
}
