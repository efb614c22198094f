package dev.caddylightstep.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Renders a kustomization directory as kustomize would, for the features deploy/kubernetes uses: resources (files
 * and directories), namespace, labels without selectors, JSON 6902 patches with a kind/name target, a
 * configMapGenerator of files, and images. Any other field fails the rendering instead of being ignored, so that
 * the checks never run on less than what kubectl apply -k would apply. Generated ConfigMaps keep their plain
 * name (kustomize adds a content hash to it and to every reference; the checks compare names only).
 */
final class Kustomization {
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "namespace", "labels", "patches",
            "configMapGenerator", "images");

    private Kustomization() {
    }

    static List<ObjectNode> render(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.exists(file)) {
            throw new IllegalStateException(dir + " has no kustomization.yaml");
        }
        ObjectNode k = DeployFiles.documents(file).get(0);
        for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!SUPPORTED.contains(field)) {
                throw new IllegalStateException(file + ": field " + field + " is not rendered by this test's kustomize subset");
            }
        }
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : k.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(render(path));
            } else if (Files.exists(path)) {
                objects.addAll(DeployFiles.documents(path));
            } else {
                throw new IllegalStateException(file + ": resource " + resource.asText() + " does not exist");
            }
        }
        for (JsonNode generator : k.path("configMapGenerator")) {
            objects.add(configMap(dir, generator));
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(dir, patch, objects);
        }
        for (JsonNode image : k.path("images")) {
            setImage(image, objects);
        }
        if (k.has("namespace")) {
            for (ObjectNode o : objects) {
                ((ObjectNode) o.with("metadata")).put("namespace", k.path("namespace").asText());
            }
        }
        for (JsonNode label : k.path("labels")) {
            if (label.path("includeSelectors").asBoolean(false)) {
                throw new IllegalStateException(file + ": labels with includeSelectors are not rendered here");
            }
            for (ObjectNode o : objects) {
                ObjectNode labels = (ObjectNode) o.with("metadata").with("labels");
                label.path("pairs").fields().forEachRemaining(e -> labels.set(e.getKey(), e.getValue()));
            }
        }
        return objects;
    }

    private static ObjectNode configMap(Path dir, JsonNode generator) {
        ObjectNode map = DeployFiles.YAML.createObjectNode();
        map.put("apiVersion", "v1");
        map.put("kind", "ConfigMap");
        map.putObject("metadata").put("name", generator.path("name").asText());
        ObjectNode data = map.putObject("data");
        for (JsonNode f : generator.path("files")) {
            Path source = dir.resolve(f.asText());
            data.put(source.getFileName().toString(), DeployFiles.read(source));
        }
        return map;
    }

    private static void applyPatch(Path dir, JsonNode patch, List<ObjectNode> objects) {
        Path path = dir.resolve(patch.path("path").asText());
        JsonNode target = patch.path("target");
        JsonNode ops = DeployFiles.documents(path).isEmpty() ? null : readOps(path);
        int matched = 0;
        for (ObjectNode o : objects) {
            if (matches(target, o)) {
                for (JsonNode op : ops) {
                    JsonPatch.apply(o, op, path + " on " + o.path("kind").asText() + "/" + o.path("metadata").path("name").asText());
                }
                matched++;
            }
        }
        if (matched == 0) {
            throw new IllegalStateException(path + ": its target " + target + " matches no resource");
        }
    }

    private static JsonNode readOps(Path path) {
        try {
            JsonNode ops = DeployFiles.YAML.readTree(path.toFile());
            if (!ops.isArray()) {
                throw new IllegalStateException(path + ": only JSON 6902 patches (a list of operations) are rendered here");
            }
            return ops;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean matches(JsonNode target, ObjectNode o) {
        for (Map.Entry<String, JsonNode> e : iterable(target.fields())) {
            String value = switch (e.getKey()) {
                case "kind" -> o.path("kind").asText();
                case "name" -> o.path("metadata").path("name").asText();
                default -> throw new IllegalStateException("patch target field " + e.getKey() + " is not rendered here");
            };
            // kustomize matches kind and name as anchored regular expressions
            if (!Pattern.matches(e.getValue().asText(), value)) {
                return false;
            }
        }
        return true;
    }

    private static void setImage(JsonNode image, List<ObjectNode> objects) {
        String name = image.path("name").asText();
        for (ObjectNode o : objects) {
            for (JsonNode container : o.path("spec").path("template").path("spec").path("containers")) {
                String current = container.path("image").asText();
                String bare = current.contains(":") ? current.substring(0, current.indexOf(':')) : current;
                if (bare.equals(name)) {
                    String newName = image.path("newName").asText(name);
                    String tag = image.has("newTag") ? image.path("newTag").asText() : current.substring(bare.length()).replaceFirst("^:", "");
                    ((ObjectNode) container).put("image", tag.isEmpty() ? newName : newName + ":" + tag);
                }
            }
        }
    }

    private static <T> Iterable<T> iterable(Iterator<T> it) {
        return () -> it;
    }

    /** The JSON 6902 operations the overlays use: add, replace and remove. */
    static final class JsonPatch {
        private JsonPatch() {
        }

        static void apply(ObjectNode root, JsonNode op, String where) {
            String kind = op.path("op").asText();
            List<String> path = pointer(op.path("path").asText());
            JsonNode parent = root;
            for (String token : path.subList(0, path.size() - 1)) {
                parent = parent.isArray() ? parent.path(Integer.parseInt(token)) : parent.path(token);
                if (parent.isMissingNode()) {
                    throw new IllegalStateException(where + ": path " + op.path("path").asText() + " does not exist");
                }
            }
            String last = path.get(path.size() - 1);
            switch (kind) {
                case "add" -> add(parent, last, op.path("value"), where);
                case "replace" -> {
                    if (!exists(parent, last)) {
                        throw new IllegalStateException(where + ": replace of " + op.path("path").asText() + ", which does not exist");
                    }
                    set(parent, last, op.path("value"));
                }
                case "remove" -> {
                    if (parent.isArray()) {
                        ((ArrayNode) parent).remove(Integer.parseInt(last));
                    } else {
                        ((ObjectNode) parent).remove(last);
                    }
                }
                default -> throw new IllegalStateException(where + ": patch operation " + kind + " is not rendered here");
            }
        }

        private static List<String> pointer(String path) {
            List<String> tokens = new ArrayList<>();
            for (String t : path.substring(1).split("/", -1)) {
                tokens.add(t.replace("~1", "/").replace("~0", "~"));
            }
            return tokens;
        }

        private static boolean exists(JsonNode parent, String token) {
            return parent.isArray() ? Integer.parseInt(token) < parent.size() : parent.has(token);
        }

        private static void add(JsonNode parent, String token, JsonNode value, String where) {
            if (parent.isArray()) {
                ArrayNode array = (ArrayNode) parent;
                if (token.equals("-")) {
                    array.add(value.deepCopy());
                } else {
                    array.insert(Integer.parseInt(token), value.deepCopy());
                }
            } else if (parent.isObject()) {
                ((ObjectNode) parent).set(token, value.deepCopy());
            } else {
                throw new IllegalStateException(where + ": add into a value that is neither a list nor a mapping");
            }
        }

        private static void set(JsonNode parent, String token, JsonNode value) {
            if (parent.isArray()) {
                ((ArrayNode) parent).set(Integer.parseInt(token), value.deepCopy());
            } else {
                ((ObjectNode) parent).set(token, value.deepCopy());
            }
        }
    }
}
