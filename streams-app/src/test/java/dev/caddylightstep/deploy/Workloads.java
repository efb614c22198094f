package dev.caddylightstep.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.cli.Main;
import dev.caddylightstep.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * The containers of rendered manifests as the application sees them: the command line parsed by the real CLI,
 * and the settings that the real configuration loader makes of the mounted properties file, the environment and
 * the options.
 */
final class Workloads {
    private Workloads() {
    }

    /** One container of a StatefulSet, Deployment or Job. */
    record Container(ObjectNode workload, JsonNode podSpec, JsonNode container, List<ObjectNode> objects) {
        String where() {
            return workload.path("kind").asText() + "/" + name() + " container " + container.path("name").asText();
        }

        String name() {
            JsonNode metadata = workload.path("metadata");
            return metadata.has("name") ? metadata.path("name").asText() : metadata.path("generateName").asText();
        }

        List<String> args() {
            List<String> args = new ArrayList<>();
            container.path("args").forEach(a -> args.add(a.asText()));
            return args;
        }

        /** The command line as the CLI parses it; fails as the CLI would on an unknown option. */
        CommandLine.ParseResult commandLine() {
            return new CommandLine(new Main()).parseArgs(args().toArray(String[]::new));
        }

        String command() {
            return commandLine().subcommand().commandSpec().name();
        }

        /** The --role of a run command. */
        String role() {
            return commandLine().subcommand().matchedOptionValue("--role", "all");
        }

        /** name → literal value, or a stand-in for a value from a Secret or the downward API. */
        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            for (JsonNode e : container.path("env")) {
                env.put(e.path("name").asText(), e.has("value") ? e.path("value").asText() : "(from " + e.path("valueFrom").fieldNames().next() + ")");
            }
            return env;
        }

        Optional<JsonNode> env(String name) {
            for (JsonNode e : container.path("env")) {
                if (e.path("name").asText().equals(name)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }

        /** The mounted properties file --config names, as the rendered ConfigMap holds it. */
        Optional<String> configFile() {
            CommandLine.ParseResult sub = commandLine().subcommand();
            Path config = sub.matchedOptionValue("--config", null);
            if (config == null) {
                return Optional.empty();
            }
            for (JsonNode mount : container.path("volumeMounts")) {
                if (config.getParent().toString().equals(mount.path("mountPath").asText())) {
                    String volume = mount.path("name").asText();
                    for (JsonNode v : podSpec.path("volumes")) {
                        if (v.path("name").asText().equals(volume) && v.has("configMap")) {
                            String map = v.path("configMap").path("name").asText();
                            ObjectNode configMap = find(objects, "ConfigMap", map)
                                    .orElseThrow(() -> new AssertionError(where() + ": ConfigMap " + map + " is not in the manifests"));
                            JsonNode data = configMap.path("data").path(config.getFileName().toString());
                            if (data.isMissingNode()) {
                                throw new AssertionError(where() + ": ConfigMap " + map + " has no key " + config.getFileName());
                            }
                            return Optional.of(data.asText());
                        }
                    }
                }
            }
            throw new AssertionError(where() + ": --config " + config + " is in no mounted ConfigMap");
        }

        /** What the application's own configuration loader makes of this container's file, environment and options. */
        Settings settings() {
            Map<String, String> overrides = new LinkedHashMap<>();
            CommandLine.ParseResult sub = commandLine().subcommand();
            Map<String, String> set = sub.matchedOptionValue("--set", Map.of());
            overrides.putAll(set);
            String bootstrap = sub.matchedOptionValue("--bootstrap-servers", null);
            if (bootstrap != null) {
                overrides.put("bootstrap.servers", bootstrap);
            }
            Optional<String> file = configFile();
            if (file.isEmpty()) {
                return Settings.load(null, environment(), overrides);
            }
            try {
                Path temp = Files.createTempFile("app", ".properties");
                Files.writeString(temp, file.get(), StandardCharsets.UTF_8);
                try {
                    return Settings.load(temp, environment(), overrides);
                } finally {
                    Files.delete(temp);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int port(String name) {
            for (JsonNode p : container.path("ports")) {
                if (p.path("name").asText().equals(name)) {
                    return p.path("containerPort").asInt();
                }
            }
            throw new AssertionError(where() + " has no port named " + name);
        }

        /** A probe's or a Service's port, by name or number. */
        int resolvePort(JsonNode port) {
            return port.isInt() ? port.asInt() : port(port.asText());
        }
    }

    static List<Container> containers(List<ObjectNode> objects) {
        List<Container> all = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            if (kind.equals("StatefulSet") || kind.equals("Deployment") || kind.equals("Job")) {
                JsonNode pod = o.path("spec").path("template").path("spec");
                for (JsonNode c : pod.path("containers")) {
                    all.add(new Container(o, pod, c, objects));
                }
            }
        }
        return all;
    }

    static Container runContainer(List<ObjectNode> objects, String role) {
        return containers(objects).stream()
                .filter(c -> c.command().equals("run") && c.role().equals(role))
                .reduce((a, b) -> {
                    throw new AssertionError("two workloads run --role " + role);
                })
                .orElseThrow(() -> new AssertionError("no workload runs --role " + role));
    }

    static Optional<ObjectNode> find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
                .findFirst();
    }

    static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }
}
