package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Net mode takes Caddy's `net` log writer: several senders at once, lines cut anywhere by the writes. */
class ShipNetModeTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.builder().build().start();
        kafka.createTopics(List.of(new NewTopic("net.access", 1, (short) 1), new NewTopic("net.dlq", 1, (short) 1)));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void twoConcurrentSendersLoseNoLine() throws Exception {
        List<String> first = NumberedLines.of(2_000, 10_000);
        List<String> second = NumberedLines.of(2_000, 50_000);
        try (InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", "net.access", "--set", "caddy.topic.access-dlq=net.dlq", "--progress-interval", "0")) {
            InetSocketAddress address = shipper.awaitListening(Duration.ofSeconds(30));
            ExecutorService senders = Executors.newFixedThreadPool(2);
            Future<?> a = senders.submit(() -> send(address, first, 1));
            Future<?> b = senders.submit(() -> send(address, second, 2));
            a.get();
            b.get();
            senders.shutdown();

            List<String> arrived = TopicReader.values(kafka.bootstrapServers(), "net.access", 4_000, Duration.ofSeconds(60));
            assertThat(shipper.stop()).isZero();

            List<String> all = new ArrayList<>(first);
            all.addAll(second);
            assertThat(arrived).containsExactlyInAnyOrderElementsOf(all);
            // one connection's lines keep their order
            assertThat(arrived.stream().filter(first::contains).toList()).containsExactlyElementsOf(first);
            assertThat(arrived.stream().filter(second::contains).toList()).containsExactlyElementsOf(second);
        }
    }

    /** Writes the lines in pieces of random size, so that lines are cut across writes (and so across reads). */
    private static Void send(InetSocketAddress address, List<String> lines, long seed) throws Exception {
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        Random random = new Random(seed);
        try (Socket socket = new Socket(address.getAddress(), address.getPort()); OutputStream out = socket.getOutputStream()) {
            socket.setTcpNoDelay(true);
            int at = 0;
            while (at < bytes.length) {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(3_000));
                out.write(bytes, at, n);
                out.flush();
                at += n;
                if (random.nextInt(10) == 0) {
                    Thread.sleep(1);
                }
            }
        }
        return null;
    }
}
