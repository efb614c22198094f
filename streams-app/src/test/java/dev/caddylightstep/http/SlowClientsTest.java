package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.PipelineConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients that open a connection to the HTTP port and never finish their request, as a slowloris attack does, from
 * anywhere the port is reachable (the probes and /metrics need no token). JDK's server reads a request's head on a
 * thread of its executor before any handler sees it, so a handful of such connections held every thread that answers
 * the probes, and the orchestrator would restart a healthy pod. The server's limits are JVM-wide and read once, at the
 * first server a JVM makes, so the application runs in a JVM of its own, as deployed.
 */
@ExtendWith(SharedBroker.class)
class SlowClientsTest {
    private static final Pattern HTTP_PORT = Pattern.compile("HTTP on http://127\\.0\\.0\\.1:([0-9]+)/");
    /** Kubernetes' default timeoutSeconds for a probe. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final int SLOW_CLIENTS = 16;
    private static OtlpReceiver receiver;
    private static ChildProcess forwarder;
    private static int port;

    @BeforeAll
    static void start(EmbeddedKafka kafka) {
        Map<String, String> names = SharedBroker.ownNames("slow-clients");
        kafka.createTopics(TopicLayout.topics(PipelineConfig.from(Settings.of(names)).topics(), 1, (short) 1));
        receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start();
        List<String> args = new ArrayList<>(List.of("run", "--role", "forwarder", "--bootstrap-servers", kafka.bootstrapServers()));
        names.forEach((key, value) -> args.addAll(List.of("--set", key + "=" + value)));
        forwarder = ChildProcess.start("slow-clients", Map.of("CADDY_HTTP_PORT", "0",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
                args.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(60)).until(() -> HTTP_PORT.matcher(forwarder.output()).find());
        Matcher matcher = HTTP_PORT.matcher(forwarder.output());
        assertThat(matcher.find()).isTrue();
        port = Integer.parseInt(matcher.group(1));
        await().atMost(Duration.ofSeconds(60)).until(() -> probe("/health/ready").equals("HTTP/1.1 200 OK"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (forwarder != null) {
            forwarder.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void theProbesAnswerWithinASecondWhileClientsHoldTheirRequestsHalfSent() throws Exception {
        List<Socket> slow = halfSentRequests();
        try {
            for (int i = 0; i < 5; i++) {
                assertThat(probe("/health/live")).as("liveness probe %d beside %d half-sent requests", i, SLOW_CLIENTS)
                        .isEqualTo("HTTP/1.1 200 OK");
                assertThat(probe("/health/ready")).as("readiness probe %d", i).isEqualTo("HTTP/1.1 200 OK");
                Thread.sleep(200);
            }
        } finally {
            closeAll(slow);
        }
    }

    @Test
    void aRequestWhoseHeadIsNotInWithinTenSecondsIsCut() throws Exception {
        List<Socket> slow = halfSentRequests();
        try {
            for (Socket socket : slow) {
                // the limit, and the server's timer that looks for requests past it once a second
                socket.setSoTimeout(20_000);
                assertThat(readsToTheEnd(socket.getInputStream())).as("the server closed the connection").isTrue();
            }
        } finally {
            closeAll(slow);
        }
    }

    @Test
    void connectionsPastTheLimitAreClosedAsSoonAsTheyAreAccepted() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < OpsServer.MAX_CONNECTIONS + 8; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                socket.setSoTimeout(50);
                sockets.add(socket);
            }
            Thread.sleep(1_000);
            // quickly, before the connections the server holds are cut for sending nothing (MAX_REQUEST_SECONDS)
            for (Socket past : sockets.subList(sockets.size() - 8, sockets.size())) {
                assertThat(readsToTheEnd(past.getInputStream())).as("a connection past the limit closed").isTrue();
            }
            for (Socket held : sockets.subList(0, 20)) {
                assertThat(readsToTheEnd(held.getInputStream())).as("a connection within the limit still open").isFalse();
            }
        } finally {
            closeAll(sockets);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> probe("/health/live").equals("HTTP/1.1 200 OK"));
    }

    /** Connections that have sent a request line and one header, and then nothing more. */
    private static List<Socket> halfSentRequests() throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < SLOW_CLIENTS; i++) {
            Socket socket = new Socket("127.0.0.1", port);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            sockets.add(socket);
        }
        return sockets;
    }

    private static boolean readsToTheEnd(InputStream in) throws IOException {
        try {
            while (in.read() != -1) {
                // whatever the server says before it closes
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            // a reset is a close too
            return true;
        }
    }

    private static void closeAll(List<Socket> sockets) throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** The status line of a GET, as a probe with Kubernetes' default timeout sees it; "timed out" if none came in time. */
    private static String probe(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(Math.toIntExact(PROBE_TIMEOUT.toMillis()));
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            StringBuilder status = new StringBuilder();
            InputStream in = socket.getInputStream();
            for (int b = in.read(); b != -1 && b != '\r'; b = in.read()) {
                status.append((char) b);
            }
            return status.toString();
        } catch (SocketTimeoutException e) {
            return "timed out after " + PROBE_TIMEOUT.toMillis() + " ms";
        }
    }
}
