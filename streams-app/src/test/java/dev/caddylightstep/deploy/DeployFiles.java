package dev.caddylightstep.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.caddylightstep.testing.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The repository's deploy/ directory, read as committed: its files and the YAML documents in them. */
final class DeployFiles {
    static final ObjectMapper YAML = new YAMLMapper();

    private DeployFiles() {
    }

    static Path dir() {
        return Repository.root().resolve("deploy");
    }

    static Path path(String relative) {
        return dir().resolve(relative);
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a YAML file that is an object (a file may hold several, separated by ---). */
    static List<ObjectNode> documents(Path file) {
        List<ObjectNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue;
                }
                if (!doc.isObject()) {
                    throw new IllegalStateException(file + ": a document that is not a mapping: " + doc);
                }
                docs.add((ObjectNode) doc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": not valid YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    /** The Kubernetes objects of every YAML file under deploy/kubernetes/, kustomizations and patches left out. */
    static List<Manifest> kubernetesObjects() {
        List<Manifest> all = new ArrayList<>();
        for (Path file : yamlFiles(path("kubernetes"))) {
            for (ObjectNode doc : documents(file)) {
                if (doc.has("kind") && !doc.path("kind").asText().equals("Kustomization")) {
                    all.add(new Manifest(file, doc));
                }
            }
        }
        return all;
    }

    static List<Path> yamlFiles(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One object and the file it is in. */
    record Manifest(Path file, ObjectNode object) {
        String kind() {
            return object.path("kind").asText();
        }

        String name() {
            JsonNode metadata = object.path("metadata");
            return metadata.has("name") ? metadata.path("name").asText() : metadata.path("generateName").asText();
        }

        String where() {
            return dir().relativize(file) + " " + kind() + "/" + name();
        }
    }
}
