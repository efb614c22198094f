package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.CapturedLog;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import java.io.InputStream;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Net mode takes Caddy's `net` log writer: several senders at once, lines cut anywhere by the writes; and, as
 * anyone who reaches the port can connect, loopback unless told otherwise, a bounded number of connections, and
 * idle ones closed.
 */
@ExtendWith(SharedBroker.class)
class ShipNetModeTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic("net.access", 1, (short) 1), new NewTopic("net.dlq", 1, (short) 1),
                new NewTopic("limit.access", 1, (short) 1), new NewTopic("idle.access", 1, (short) 1),
                new NewTopic("quiet.access", 1, (short) 1), new NewTopic("reset.access", 1, (short) 1)));
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

            List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "net.access", 4_000, Duration.ofSeconds(60));
            assertThat(shipper.stop()).isZero();

            List<String> all = new ArrayList<>(first);
            all.addAll(second);
            assertThat(arrived).containsExactlyInAnyOrderElementsOf(all);
            // one connection's lines keep their order
            assertThat(arrived.stream().filter(first::contains).toList()).containsExactlyElementsOf(first);
            assertThat(arrived.stream().filter(second::contains).toList()).containsExactlyElementsOf(second);
        }
    }

    @Test
    void aPortAloneListensOnLoopbackAndOtherAddressesMustBeNamed() throws Exception {
        assertThat(ShipOptions.listenAddress("5140")).isEqualTo(new InetSocketAddress("127.0.0.1", 5140));
        assertThat(ShipOptions.listenAddress(":5140")).isEqualTo(new InetSocketAddress("127.0.0.1", 5140));
        assertThat(ShipOptions.listenAddress("0.0.0.0:5140").getAddress().isAnyLocalAddress()).isTrue();
        assertThat(ShipOptions.listenAddress("[::]:5140").getAddress().isAnyLocalAddress()).isTrue();
        try (InProcessShipper shipper = InProcessShipper.start("--listen", "0", "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", "net.access", "--set", "caddy.topic.access-dlq=net.dlq", "--progress-interval", "0")) {
            assertThat(shipper.awaitListening(Duration.ofSeconds(30)).getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(shipper.stop()).isZero();
        }
    }

    @Test
    void aThousandConnectionsGetSixtyFourServedAndTheRestAreClosedAtOnceWithAWarning() throws Exception {
        List<String> lines = NumberedLines.of(128, 70_000);
        List<Socket> sockets = new ArrayList<>();
        try (CapturedLog log = new CapturedLog(NetListener.class);
                InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--bootstrap-servers", kafka.bootstrapServers(),
                        "--topic", "limit.access", "--set", "caddy.topic.access-dlq=net.dlq", "--progress-interval", "0")) {
            InetSocketAddress address = shipper.awaitListening(Duration.ofSeconds(30));
            for (int i = 0; i < 64; i++) {
                sockets.add(connect(address));
                write(sockets.get(i), lines.get(i) + "\n");
            }
            // every one of the 64 accepted and served before the others connect
            TopicRecords.values(kafka.bootstrapServers(), "limit.access", 64, Duration.ofSeconds(60));
            for (int i = 64; i < 1_000; i++) {
                sockets.add(connect(address));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (shipper.command().metrics().connectionsRefused() < 936 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(shipper.command().metrics().connectionsRefused()).isEqualTo(936);
            for (Socket refused : sockets.subList(64, 1_000)) {
                assertThat(readUntilClosed(refused)).isEqualTo(-1);
            }
            for (int i = 0; i < 64; i++) {
                write(sockets.get(i), lines.get(64 + i) + "\n");
            }
            List<String> arrived = TopicRecords.values(kafka.bootstrapServers(), "limit.access", 128, Duration.ofSeconds(60));
            assertThat(shipper.stop()).isZero();

            assertThat(arrived).containsExactlyInAnyOrderElementsOf(lines);
            List<String> warnings = log.lines(Level.WARN);
            assertThat(warnings.get(0)).isEqualTo("refused tcp://127.0.0.1:" + sockets.get(64).getLocalPort()
                    + ": 64 connections are open, as many as --max-connections 64 allows; closed it at once");
            assertThat(warnings).hasSizeLessThan(936);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** A sender that stops mid-line holds up to a line's worth of the shipper's memory: it is closed, its piece goes on. */
    @Test
    void aConnectionIdleInTheMiddleOfALineIsClosedAndCounted() throws Exception {
        List<String> lines = NumberedLines.of(2, 90_000);
        String piece = lines.get(1).substring(0, lines.get(1).length() / 2);
        try (CapturedLog log = new CapturedLog(NetListener.class);
                InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--idle-timeout", "1s",
                        "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "idle.access", "--set", "caddy.topic.access-dlq=net.dlq",
                        "--progress-interval", "0");
                Socket socket = connect(shipper.awaitListening(Duration.ofSeconds(30)))) {
            write(socket, lines.get(0) + "\n" + piece);

            assertThat(readUntilClosed(socket)).isEqualTo(-1);
            assertThat(TopicRecords.values(kafka.bootstrapServers(), "idle.access", 2, Duration.ofSeconds(30))).containsExactly(lines.get(0), piece);
            assertThat(shipper.command().metrics().connectionsTimedOut()).isEqualTo(1);
            assertThat(log.lines(Level.INFO)).contains("closing tcp://127.0.0.1:" + socket.getLocalPort()
                    + ": nothing received for 1s in the middle of a line (--idle-timeout)");
            assertThat(shipper.stop()).isZero();
        }
    }

    /**
     * A connection reset in the middle of a line (its sender crashed, a firewall cut it) is a sender gone, as a close
     * is: its piece goes on, for the pipeline to dead-letter as truncated. It was dropped with no more than an INFO line.
     */
    @Test
    void aConnectionResetInTheMiddleOfALineShipsItsPiece() throws Exception {
        List<String> lines = NumberedLines.of(2, 95_000);
        String piece = lines.get(1).substring(0, lines.get(1).length() / 2);
        try (InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--bootstrap-servers", kafka.bootstrapServers(),
                "--topic", "reset.access", "--set", "caddy.topic.access-dlq=net.dlq", "--progress-interval", "0")) {
            Socket socket = connect(shipper.awaitListening(Duration.ofSeconds(30)));
            write(socket, lines.get(0) + "\n" + piece);
            // read by the shipper before the reset, which discards what the receiver has not read yet
            assertThat(TopicRecords.values(kafka.bootstrapServers(), "reset.access", 1, Duration.ofSeconds(30))).containsExactly(lines.get(0));
            socket.setSoLinger(true, 0);
            socket.close();

            assertThat(TopicRecords.values(kafka.bootstrapServers(), "reset.access", 2, Duration.ofSeconds(30))).containsExactly(lines.get(0), piece);
            assertThat(shipper.stop()).isZero();
        }
    }

    /** Caddy's net writer keeps its connection through quiet hours, and loses a line if the shipper closed it. */
    @Test
    void aConnectionIdleBetweenLinesStaysOpen() throws Exception {
        List<String> lines = NumberedLines.of(2, 90_000);
        try (InProcessShipper shipper = InProcessShipper.start("--listen", "127.0.0.1:0", "--idle-timeout", "1s",
                        "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "quiet.access", "--set", "caddy.topic.access-dlq=net.dlq",
                        "--progress-interval", "0");
                Socket socket = connect(shipper.awaitListening(Duration.ofSeconds(30)))) {
            write(socket, lines.get(0) + "\n");
            Thread.sleep(2_500);
            write(socket, lines.get(1) + "\n");

            assertThat(TopicRecords.values(kafka.bootstrapServers(), "quiet.access", 2, Duration.ofSeconds(30))).containsExactlyElementsOf(lines);
            assertThat(shipper.command().metrics().connectionsTimedOut()).isZero();
            assertThat(shipper.stop()).isZero();
        }
    }

    private static Socket connect(InetSocketAddress address) throws Exception {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
        return socket;
    }

    private static void write(Socket socket, String text) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** -1 once the shipper closed the connection; a connection it keeps open fails the read after a minute. */
    private static int readUntilClosed(Socket socket) throws Exception {
        InputStream in = socket.getInputStream();
        return in.read();
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
