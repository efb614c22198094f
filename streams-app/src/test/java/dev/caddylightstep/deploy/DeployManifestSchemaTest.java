package dev.caddylightstep.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Job;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Kubernetes object of deploy/kubernetes, as committed and as each overlay renders it, is valid for its API:
 * built-in kinds against the models that the official Kubernetes Java client (io.kubernetes:client-java-api
 * 27.0.0) generates from the Kubernetes OpenAPI document, which refuse unknown fields, missing required fields and
 * values of the wrong JSON type; Strimzi's KafkaTopic and KafkaUser against Strimzi's own API model (io.strimzi:api
 * 0.51.0, from which Strimzi generates its CRDs; 1.x is built for Java 21), with unknown fields refused and fields
 * deprecated in v1beta2 refused too (kafka.strimzi.io/v1 dropped them); KEDA's against KedaShapes.
 */
class DeployManifestSchemaTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern PORT_NAME = Pattern.compile("(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final Map<String, Class<?>> BUILT_IN = Map.of(
            "apps/v1 StatefulSet", V1StatefulSet.class,
            "apps/v1 Deployment", V1Deployment.class,
            "batch/v1 Job", V1Job.class,
            "v1 Service", V1Service.class,
            "v1 Secret", V1Secret.class,
            "v1 ConfigMap", V1ConfigMap.class,
            "policy/v1 PodDisruptionBudget", V1PodDisruptionBudget.class);
    private static final com.google.gson.Gson KUBERNETES_JSON = new io.kubernetes.client.openapi.JSON().getGson();

    /**
     * The client's own check (fields known, required ones present, strings and objects where the API has them),
     * then its deserialization, which refuses a number that is not one.
     */
    static void validateBuiltIn(Class<?> model, String json) throws Exception {
        JsonElement tree = JsonParser.parseString(json);
        try {
            model.getMethod("validateJsonElement", JsonElement.class).invoke(null, tree);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        KUBERNETES_JSON.fromJson(tree, model);
    }

    /** The committed objects (base, jobs, the secret example) and every overlay's rendering. */
    static Stream<DeployFiles.Manifest> objects() {
        List<DeployFiles.Manifest> all = new ArrayList<>(DeployFiles.kubernetesObjects());
        for (String k : List.of("kubernetes/base", "kubernetes/overlays/dev", "kubernetes/overlays/production")) {
            for (ObjectNode o : Kustomization.render(DeployFiles.path(k))) {
                all.add(new DeployFiles.Manifest(DeployFiles.path(k).resolve("kustomization.yaml"), o));
            }
        }
        return all.stream();
    }

    /** Everything wrong with an object, empty when its API would take it. */
    static List<String> problems(ObjectNode o) {
        String key = o.path("apiVersion").asText() + " " + o.path("kind").asText();
        List<String> problems = new ArrayList<>();
        try {
            if (BUILT_IN.containsKey(key)) {
                validateBuiltIn(BUILT_IN.get(key), o.toString());
            } else if (key.equals("kafka.strimzi.io/v1 KafkaTopic")) {
                strimzi(o, KafkaTopic.class, problems);
            } else if (key.equals("kafka.strimzi.io/v1 KafkaUser")) {
                strimzi(o, KafkaUser.class, problems);
            } else if (key.startsWith("keda.sh/")) {
                problems.addAll(KedaShapes.problems(o));
            } else {
                problems.add("no schema for " + key);
            }
        } catch (Exception e) {
            problems.add(e.getMessage());
        }
        return problems;
    }

    /**
     * Strimzi's model keeps fields it does not know aside instead of failing, and reads a value its enums do not
     * know as none: both are looked for, walking the model and the given object side by side.
     */
    private static void strimzi(ObjectNode o, Class<?> model, List<String> problems) throws Exception {
        unknownProperties(JSON.treeToValue(o, model), o, "", problems, new IdentityHashMap<>());
    }

    private static void unknownProperties(Object o, JsonNode given, String path, List<String> problems, Map<Object, Boolean> seen) throws Exception {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                if (item == null && !given.path(i).isNull()) {
                    problems.add(path + "[" + i + "]: " + given.path(i) + " is not a value Strimzi's model takes");
                }
                unknownProperties(item, given.path(i), path + "[" + i + "]", problems, seen);
                i++;
            }
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!pkg.startsWith("io.strimzi.") && !pkg.startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
                continue;
            }
            Object value = m.invoke(o);
            String property = property(m);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> problems.add(path + "." + k + " is not a field of " + o.getClass().getSimpleName()));
                }
                continue;
            }
            JsonNode givenValue = given.path(property);
            if (value == null && givenValue.isValueNode() && !givenValue.isNull()) {
                problems.add(path + "." + property + ": " + givenValue + " is not a value Strimzi's model takes");
            }
            boolean set = value != null && !(value instanceof Collection<?> c && c.isEmpty()) && !(value instanceof Map<?, ?> mm && mm.isEmpty());
            if (set && m.isAnnotationPresent(Deprecated.class)) {
                problems.add(path + "." + property + " is deprecated in v1beta2 and not part of kafka.strimzi.io/v1");
            }
            if (!(value instanceof Map<?, ?>)) {
                unknownProperties(value, givenValue, path + "." + property, problems, seen);
            }
        }
    }

    private static String property(Method getter) {
        return Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
    }

    @ParameterizedTest
    @MethodSource("objects")
    void everyObjectIsValidForItsApi(DeployFiles.Manifest manifest) {
        assertThat(problems(manifest.object())).as(manifest.where()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("objects")
    void namesAreWhatTheApiServerAccepts(DeployFiles.Manifest m) {
        ObjectNode o = m.object();
        // a generated name is the prefix and five random characters
        String name = o.path("metadata").has("generateName") ? m.name() + "x7k2q" : m.name();
        Pattern pattern = m.kind().equals("Service") ? DNS_1035_LABEL : DNS_SUBDOMAIN;
        assertThat(name).as(m.where() + " name").matches(pattern);
        o.path("metadata").path("labels").fields().forEachRemaining(e ->
                assertThat(e.getValue().asText()).as(m.where() + " label " + e.getKey()).hasSizeLessThanOrEqualTo(63));
        for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
            assertThat(c.path("name").asText()).as(m.where() + " container name").matches(DNS_LABEL);
            c.path("ports").forEach(p -> assertThat(p.path("name").asText()).as(m.where() + " port name").matches(PORT_NAME));
            c.path("env").forEach(e -> assertThat(e.path("name").asText()).as(m.where() + " env name").matches(ENV_NAME));
        }
        if (m.kind().equals("StatefulSet")) {
            // the pod names <name>-<ordinal> carry a controller-revision-hash label of at most 63 characters
            assertThat(name.length()).as(m.where() + " StatefulSet name").isLessThanOrEqualTo(52);
        }
    }

    @Test
    void everyKindInTheManifestsIsChecked() {
        Set<String> kinds = new java.util.TreeSet<>();
        objects().forEach(m -> kinds.add(m.object().path("apiVersion").asText() + " " + m.kind()));
        assertThat(kinds).containsExactlyInAnyOrder("apps/v1 StatefulSet", "apps/v1 Deployment", "batch/v1 Job", "v1 Service", "v1 Secret",
                "v1 ConfigMap", "policy/v1 PodDisruptionBudget", "kafka.strimzi.io/v1 KafkaTopic", "kafka.strimzi.io/v1 KafkaUser",
                "keda.sh/v1alpha1 ScaledObject", "keda.sh/v1alpha1 TriggerAuthentication");
    }

    private static ObjectNode first(String kind) {
        return DeployFiles.kubernetesObjects().stream().filter(m -> m.kind().equals(kind)).findFirst().orElseThrow().object().deepCopy();
    }

    @Test
    void aMisspelledFieldIsRefusedInEachKindOfObject() {
        ObjectNode statefulSet = first("StatefulSet");
        ObjectNode container = (ObjectNode) statefulSet.path("spec").path("template").path("spec").path("containers").get(0);
        container.set("readinesProbe", container.remove("readinessProbe"));
        assertThat(problems(statefulSet)).singleElement().asString().contains("readinesProbe");

        ObjectNode topic = first("KafkaTopic");
        ((ObjectNode) topic.path("spec")).put("partition", 6);
        assertThat(problems(topic)).singleElement().asString().contains("partition");

        ObjectNode user = first("KafkaUser");
        ((ObjectNode) user.path("spec").path("authorization").path("acls").get(0)).put("operation", "Read");
        assertThat(problems(user)).singleElement().asString().contains("operation");

        ObjectNode scaled = first("ScaledObject");
        ((ObjectNode) scaled.path("spec").path("triggers").get(0).path("metadata")).put("lagThreshold", 10);
        ((ObjectNode) scaled.path("spec")).put("maxReplicas", 6);
        assertThat(problems(scaled)).hasSize(2);
    }

    @Test
    void wrongValuesAreRefused() {
        ObjectNode service = first("Service");
        ((ObjectNode) service.path("spec").path("ports").get(0)).put("port", "eighty");
        assertThat(problems(service)).isNotEmpty();

        ObjectNode user = first("KafkaUser");
        ((ObjectNode) user.path("spec").path("authorization").path("acls").get(0)).putArray("operations").add("Reed");
        assertThat(problems(user)).isNotEmpty();

        ObjectNode job = first("Job");
        ((ObjectNode) job.path("spec").path("template").path("spec")).remove("containers");
        assertThat(problems(job)).isNotEmpty();

        assertThatThrownBy(() -> validateBuiltIn(V1ConfigMap.class, "{\"data\": {\"a\": \"b\"}, \"kind\": \"ConfigMap\", \"x\": 1}"))
                .hasMessageContaining("x");
    }
}
