package dev.caddylightstep.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.cli.Main;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.http.HttpSettings;
import dev.caddylightstep.load.IdentitiesFile;
import dev.caddylightstep.load.PoliciesFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * deploy/compose against the code: the Kafka image is Apache Kafka's own at the version the project builds on,
 * every application service runs the image Jib builds with a command line the CLI takes and variables the
 * configuration reads, the files it mounts exist and load, and the shipper follows the file Caddy writes.
 */
class DeployComposeDriftTest {
    private static JsonNode compose;
    private static Path dir;
    private static JibImage image;

    @BeforeAll
    static void read() {
        dir = DeployFiles.path("compose");
        compose = DeployFiles.documents(dir.resolve("compose.yaml")).get(0);
        image = JibImage.fromPom();
    }

    private static Map<String, JsonNode> services() {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        compose.path("services").fields().forEachRemaining(e -> services.put(e.getKey(), e.getValue()));
        return services;
    }

    private static Map<String, JsonNode> applicationServices() {
        Map<String, JsonNode> app = new LinkedHashMap<>();
        services().forEach((name, s) -> {
            if (s.path("image").asText().startsWith("caddy-lightstep")) {
                app.put(name, s);
            }
        });
        return app;
    }

    private static List<String> command(JsonNode service) {
        List<String> args = new ArrayList<>();
        service.path("command").forEach(a -> args.add(a.asText()));
        return args;
    }

    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>(image.environment());
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    /** A volume's host path for a container path, from "source:target[:mode]" entries. */
    private static Map<String, String> mounts(JsonNode service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (JsonNode v : service.path("volumes")) {
            String[] parts = v.asText().split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }

    @Test
    void kafkaIsApacheKafkasOwnImageAtTheProjectsVersionInKRaftMode() throws Exception {
        JsonNode kafka = services().get("kafka");
        java.util.Properties clients = new java.util.Properties();
        try (var in = org.apache.kafka.clients.admin.Admin.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            clients.load(in);
        }
        assertThat(kafka.path("image").asText()).isEqualTo("apache/kafka:" + clients.getProperty("version"));
        assertThat(kafka.path("environment").path("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        assertThat(kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText()).isEqualTo("PLAINTEXT://kafka:9092");
    }

    @Test
    void everyApplicationServiceRunsTheImageJibBuildsWithACommandTheCliTakes() {
        Set<String> commands = new TreeSet<>();
        for (Map.Entry<String, JsonNode> e : applicationServices().entrySet()) {
            assertThat(e.getValue().path("image").asText()).as(e.getKey()).isEqualTo(image.reference());
            CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(command(e.getValue()).toArray(String[]::new));
            commands.add(parsed.subcommand().commandSpec().name());
        }
        assertThat(commands).containsExactlyInAnyOrder("topics", "load", "run", "ship");
        assertThat(new CommandLine(new Main()).parseArgs(image.args().toArray(String[]::new)).subcommand().commandSpec().name())
                .as("the image's default command").isEqualTo("run");
    }

    @Test
    void everyApplicationServiceSetsOnlyVariablesTheConfigurationReadsAndReachesTheBroker() {
        String advertised = services().get("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText().replace("PLAINTEXT://", "");
        for (Map.Entry<String, JsonNode> e : applicationServices().entrySet()) {
            Map<String, String> env = environment(e.getValue());
            env.keySet().forEach(name -> DeployDriftTest.assertReadByTheConfiguration(name, "compose service " + e.getKey()));
            assertThat(Settings.load(null, env, Map.of()).kafka()).as(e.getKey()).containsEntry("bootstrap.servers", advertised);
        }
    }

    @Test
    void theApplicationPublishesThePortItsHttpServerListensOnToAllInterfaces() {
        JsonNode app = applicationServices().values().stream().filter(s -> command(s).get(0).equals("run")).findFirst().orElseThrow();
        HttpSettings http = HttpSettings.from(Settings.load(null, environment(app), Map.of()));
        assertThat(http.host()).isEqualTo("0.0.0.0");
        assertThat(app.path("ports").get(0).asText()).endsWith(":" + http.port());
    }

    @Test
    void theFilesTheLoadersReadAreMountedAndValid() {
        int loaded = 0;
        for (JsonNode service : applicationServices().values()) {
            List<String> args = command(service);
            if (!args.get(0).equals("load")) {
                continue;
            }
            Path inContainer = Path.of(args.get(2));
            String source = mounts(service).get(inContainer.getParent().toString());
            assertThat(source).as(args + " mounts " + inContainer.getParent()).isNotNull();
            Path onHost = dir.resolve(source).resolve(inContainer.getFileName().toString()).normalize();
            assertThat(onHost).exists();
            int entries = args.get(1).equals("identities") ? IdentitiesFile.read(onHost).size() : PoliciesFile.read(onHost).size();
            assertThat(entries).isPositive();
            loaded++;
        }
        assertThat(loaded).isEqualTo(2);
    }

    @Test
    void dependenciesNameServicesThatExistWithConditionsComposeKnows() {
        Set<String> conditions = Set.of("service_started", "service_healthy", "service_completed_successfully");
        services().forEach((name, s) -> s.path("depends_on").fields().forEachRemaining(d -> {
            assertThat(services()).as(name + " depends on " + d.getKey()).containsKey(d.getKey());
            assertThat(conditions).contains(d.getValue().path("condition").asText());
            if (d.getValue().path("condition").asText().equals("service_healthy")) {
                assertThat(services().get(d.getKey()).has("healthcheck")).as(d.getKey() + " has a health check").isTrue();
            }
        }));
        assertThat(services().get("topics").path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
    }

    @Test
    void theShipperFollowsTheJsonLogCaddyWritesOnASharedVolume() throws Exception {
        JsonNode shipper = applicationServices().values().stream().filter(s -> command(s).get(0).equals("ship")).findFirst().orElseThrow();
        List<String> args = command(shipper);
        Path log = Path.of(args.get(args.indexOf("--file") + 1));
        JsonNode caddy = services().get("caddy");
        String logVolume = mounts(caddy).get(log.getParent().toString());
        assertThat(logVolume).as("Caddy's log directory is a volume").isNotNull();
        assertThat(mounts(shipper)).containsEntry(log.getParent().toString(), logVolume);
        assertThat(compose.path("volumes").has(logVolume)).as(logVolume + " is a named volume").isTrue();
        Path caddyfile = dir.resolve(mounts(caddy).get("/etc/caddy/Caddyfile")).normalize();
        String text = Files.readString(caddyfile, StandardCharsets.UTF_8);
        assertThat(text).contains("output file " + log + " {").contains("format json");
        JsonNode adapted = adapt(text);
        if (adapted != null) {
            assertThat(adapted.path("logging").path("logs").toString()).contains("\"filename\":\"" + log + "\"").contains("\"format\":\"json\"");
        }
    }

    /**
     * The Caddyfile as the caddy on PATH adapts it (CI installs Debian's), or null without one. Debian's Caddy
     * 2.6.2 predates two spellings of the compose file's Caddy 2.10 (basic_auth, the log file's mode, both 2.8):
     * those are put back as 2.6.2 knows them, so that everything else is checked by a real Caddy.
     */
    private static JsonNode adapt(String caddyfile) throws Exception {
        Process version;
        try {
            version = new ProcessBuilder("caddy", "version").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return null;
        }
        String v = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        version.waitFor(10, TimeUnit.SECONDS);
        String text = caddyfile;
        if (v.matches("v?2\\.[0-7]\\..*")) {
            text = text.replace("basic_auth", "basicauth").replaceAll("(?m)^\\s*mode 0644\\s*$\\n", "");
        }
        Path file = Files.createTempFile("Caddyfile", "");
        Files.writeString(file, text);
        Process adapt = new ProcessBuilder("caddy", "adapt", "--adapter", "caddyfile", "--config", file.toString()).start();
        byte[] out = adapt.getInputStream().readAllBytes();
        String err = new String(adapt.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(adapt.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(adapt.exitValue()).as("caddy " + v + " adapts the Caddyfile: " + err).isZero();
        Files.delete(file);
        return DeployFiles.YAML.readTree(out);
    }
}
