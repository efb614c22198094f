package dev.caddylightstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.file.FileStreamSourceConnector;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Kafka Connect standalone worker, started as connect-standalone.sh starts it, with the two files of
 * connectors/kafka-connect/, ships a Caddy log into the topic the connector file names (under a name of this class's
 * own, on the broker the test classes share).
 *
 * <p>The worker is connect-runtime 4.4.0; the connector is connect-file 4.3.1, because Maven Central serves no
 * connect-file 4.4.0. That connector's version() calls org.apache.kafka.common.utils.AppInfoParser, which
 * kafka-clients 4.4 moved to ...utils.internals: the test puts a one-class adapter for it next to the
 * connector jar in the plugin directory, where Connect's plugin class loader finds it after the worker's own
 * classpath failed to. (The copy of connect-file on the test's own classpath has no adapter: the worker logs
 * "Failed to get plugin version" for it while scanning, and uses the plugin directory's.)
 */
@ExtendWith(SharedBroker.class)
class KafkaConnectRecipeTest {
    /** The connector file's topic is one other classes name too. */
    private static final String TOPIC = "connect.caddy.access";
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)));
        // ConnectStandalone exits the JVM when something fails: let the test see the failure instead
        Exit.setExitProcedure((code, message) -> {
            throw new AssertionError("Connect wanted to exit with " + code + ": " + message);
        });
        Exit.setShutdownHookAdder((name, hook) -> { });
    }

    @AfterAll
    static void stop() {
        Exit.resetExitProcedure();
        Exit.resetShutdownHookAdder();
    }

    @Test
    void theStandaloneWorkerShipsEveryLineOfTheLogInOrder() throws Exception {
        List<String> first = CaddyCapture.lines("access.log");
        List<String> appended = CaddyCapture.lines("bulk.log");
        Path log = dir.resolve("access.log");
        Files.writeString(log, String.join("\n", first) + "\n");

        Properties connector = load("kafka-connect/caddy-access-source.properties");
        assertThat(connector.getProperty("topic")).isEqualTo("caddy.access");
        connector.setProperty("topic", TOPIC);
        connector.setProperty("file", log.toString());
        Properties worker = load("kafka-connect/worker.properties");
        worker.setProperty("bootstrap.servers", kafka.bootstrapServers());
        worker.setProperty("offset.storage.file.filename", dir.resolve("connect.offsets").toString());
        worker.setProperty("plugin.path", pluginPath().toString());
        worker.setProperty("listeners", "http://127.0.0.1:" + LoopbackPorts.free(1).get(0));
        Path workerFile = store(worker, "worker.properties");
        Path connectorFile = store(connector, "caddy-access-source.properties");

        ConnectStandalone cli = new ConnectStandalone(workerFile.toString(), connectorFile.toString());
        Connect<StandaloneHerder> connect = cli.startConnect(asMap(worker));
        try {
            cli.processExtraArgs(connect, new String[] {connectorFile.toString()});
            TopicRecords.values(kafka.bootstrapServers(), TOPIC, first.size(), Duration.ofSeconds(60));
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                out.write((String.join("\n", appended) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            List<String> expected = new ArrayList<>(first);
            expected.addAll(appended);
            List<String> shipped = TopicRecords.values(kafka.bootstrapServers(), TOPIC, expected.size(), Duration.ofSeconds(60));

            assertThat(shipped).containsExactlyElementsOf(expected);
        } finally {
            connect.stop();
        }
    }

    /** plugin.path with one plugin: connect-file 4.3.1 and the adapter for the class 4.4 moved. */
    private Path pluginPath() throws Exception {
        Path plugin = Files.createDirectories(dir.resolve("plugins").resolve("connect-file"));
        Path connectorJar = Path.of(FileStreamSourceConnector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.copy(connectorJar, plugin.resolve(connectorJar.getFileName()));
        Path source = Files.createDirectories(dir.resolve("adapter/org/apache/kafka/common/utils")).resolve("AppInfoParser.java");
        Files.writeString(source, """
                package org.apache.kafka.common.utils;

                /** Where connect-file 4.3 looks for the Kafka version; kafka-clients 4.4 keeps it in utils.internals. */
                public final class AppInfoParser {
                    private AppInfoParser() {
                    }

                    public static String getVersion() {
                        return org.apache.kafka.common.utils.internals.AppInfoParser.getVersion();
                    }

                    public static String getCommitId() {
                        return org.apache.kafka.common.utils.internals.AppInfoParser.getCommitId();
                    }
                }
                """);
        Path classes = Files.createDirectories(dir.resolve("adapter-classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "--release", "17", "-cp", System.getProperty("java.class.path"),
                "-d", classes.toString(), source.toString());
        assertThat(status).as("compiling the AppInfoParser adapter").isZero();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(plugin.resolve("connect-file-4.3-on-4.4-adapter.jar")))) {
            String entry = "org/apache/kafka/common/utils/AppInfoParser.class";
            jar.putNextEntry(new JarEntry(entry));
            jar.write(Files.readAllBytes(classes.resolve(entry)));
            jar.closeEntry();
        }
        return dir.resolve("plugins");
    }

    private static Properties load(String recipe) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(RecipeFiles.path(recipe), StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }

    private Path store(Properties properties, String name) throws IOException {
        Path file = dir.resolve(name);
        try (var writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(writer, "from connectors/kafka-connect/" + name + ", with the test's broker, files and port");
        }
        return file;
    }

    private static Map<String, String> asMap(Properties properties) {
        Map<String, String> map = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> map.put(name, properties.getProperty(name)));
        return map;
    }
}
