package dev.caddylightstep.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscalerBehavior;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shape of KEDA's ScaledObject and TriggerAuthentication (keda.sh/v1alpha1) for the fields these manifests
 * may use, transcribed from the type declarations of the npm package @kubernetes-models/keda 2.0.0 (generated from
 * KEDA's CRDs), and the parameters of KEDA's kafka scaler from its documentation. No registry reachable here
 * serves KEDA's CRD schema itself, so this is a transcription, checked strictly: an unknown field fails.
 */
final class KedaShapes {
    private static final Set<String> SCALED_OBJECT_SPEC = Set.of("advanced", "cooldownPeriod", "fallback", "idleReplicaCount",
            "initialCooldownPeriod", "maxReplicaCount", "minReplicaCount", "pollingInterval", "scaleTargetRef", "triggers");
    private static final Set<String> INTEGERS = Set.of("cooldownPeriod", "idleReplicaCount", "initialCooldownPeriod", "maxReplicaCount",
            "minReplicaCount", "pollingInterval");
    private static final Set<String> KAFKA_METADATA = Set.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold",
            "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "excludePersistentLag", "scaleToZeroOnInvalidOffset",
            "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "partitionLimitation", "version", "sasl", "tls", "unsafeSsl");
    private static final Set<String> KAFKA_AUTH_PARAMETERS = Set.of("sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword");

    private KedaShapes() {
    }

    /** Everything wrong with the object, empty when it has the shape. */
    static List<String> problems(JsonNode o) {
        List<String> problems = new ArrayList<>();
        String kind = o.path("kind").asText();
        if (!o.path("apiVersion").asText().equals("keda.sh/v1alpha1")) {
            problems.add("apiVersion " + o.path("apiVersion") + " is not keda.sh/v1alpha1");
        }
        only(o, Set.of("apiVersion", "kind", "metadata", "spec", "status"), "", problems);
        kubernetes(() -> V1ObjectMeta.validateJsonElement(JsonParser.parseString(o.path("metadata").toString())), "metadata", problems);
        JsonNode spec = required(o, "spec", "", problems);
        if (kind.equals("ScaledObject")) {
            scaledObject(spec, problems);
        } else if (kind.equals("TriggerAuthentication")) {
            only(spec, Set.of("secretTargetRef"), "spec", problems);
            for (JsonNode ref : spec.path("secretTargetRef")) {
                only(ref, Set.of("parameter", "name", "key"), "spec.secretTargetRef[]", problems);
                for (String field : List.of("parameter", "name", "key")) {
                    string(required(ref, field, "spec.secretTargetRef[]", problems), "spec.secretTargetRef[]." + field, problems);
                }
                if (!KAFKA_AUTH_PARAMETERS.contains(ref.path("parameter").asText())) {
                    problems.add("spec.secretTargetRef[].parameter " + ref.path("parameter") + " is not one the kafka scaler reads");
                }
            }
        } else {
            problems.add("kind " + kind + " has no shape here");
        }
        return problems;
    }

    private static void scaledObject(JsonNode spec, List<String> problems) {
        only(spec, SCALED_OBJECT_SPEC, "spec", problems);
        for (String field : INTEGERS) {
            if (spec.has(field) && !spec.path(field).isInt()) {
                problems.add("spec." + field + " is not an integer");
            }
        }
        JsonNode target = required(spec, "scaleTargetRef", "spec", problems);
        only(target, Set.of("apiVersion", "envSourceContainerName", "kind", "name"), "spec.scaleTargetRef", problems);
        string(required(target, "name", "spec.scaleTargetRef", problems), "spec.scaleTargetRef.name", problems);
        JsonNode advanced = spec.path("advanced");
        if (!advanced.isMissingNode()) {
            only(advanced, Set.of("horizontalPodAutoscalerConfig", "restoreToOriginalReplicaCount", "scalingModifiers"), "spec.advanced", problems);
            JsonNode hpa = advanced.path("horizontalPodAutoscalerConfig");
            only(hpa, Set.of("behavior", "name"), "spec.advanced.horizontalPodAutoscalerConfig", problems);
            if (hpa.has("behavior")) {
                kubernetes(() -> V2HorizontalPodAutoscalerBehavior.validateJsonElement(JsonParser.parseString(hpa.path("behavior").toString())),
                        "spec.advanced.horizontalPodAutoscalerConfig.behavior", problems);
            }
        }
        JsonNode triggers = required(spec, "triggers", "spec", problems);
        if (!triggers.isArray() || triggers.isEmpty()) {
            problems.add("spec.triggers is not a non-empty list");
        }
        for (JsonNode trigger : triggers) {
            only(trigger, Set.of("authenticationRef", "metadata", "metricType", "name", "type", "useCachedMetrics"), "spec.triggers[]", problems);
            string(required(trigger, "type", "spec.triggers[]", problems), "spec.triggers[].type", problems);
            JsonNode auth = trigger.path("authenticationRef");
            only(auth, Set.of("kind", "name"), "spec.triggers[].authenticationRef", problems);
            JsonNode metadata = required(trigger, "metadata", "spec.triggers[]", problems);
            for (Map.Entry<String, JsonNode> e : iterable(metadata.fields())) {
                // map[string]string in the CRD: lagThreshold: 10 (a number) is refused by the API server
                string(e.getValue(), "spec.triggers[].metadata." + e.getKey(), problems);
                if (trigger.path("type").asText().equals("kafka") && !KAFKA_METADATA.contains(e.getKey())) {
                    problems.add("spec.triggers[].metadata." + e.getKey() + " is not a parameter of the kafka scaler");
                }
            }
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void kubernetes(Check check, String where, List<String> problems) {
        try {
            check.run();
        } catch (Exception e) {
            problems.add(where + ": " + e.getMessage());
        }
    }

    private static void only(JsonNode node, Set<String> allowed, String where, List<String> problems) {
        if (node.isMissingNode()) {
            return;
        }
        if (!node.isObject()) {
            problems.add(where + " is not a mapping");
            return;
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) {
                problems.add((where.isEmpty() ? "" : where + ".") + f + " is not a field of " + (where.isEmpty() ? "the object" : where));
            }
        });
    }

    private static JsonNode required(JsonNode node, String field, String where, List<String> problems) {
        if (!node.has(field)) {
            problems.add((where.isEmpty() ? "" : where + ".") + field + " is required");
        }
        return node.path(field);
    }

    private static void string(JsonNode value, String where, List<String> problems) {
        if (!value.isMissingNode() && !value.isTextual()) {
            problems.add(where + " is not a string: " + value);
        }
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }
}
