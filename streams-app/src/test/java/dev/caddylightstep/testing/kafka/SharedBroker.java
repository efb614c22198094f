package dev.caddylightstep.testing.kafka;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topics.TopicNames;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One in-process broker for all the test classes of a test JVM that extend with it, as Confluent's examples share one
 * cluster: the first parameter of type {@link EmbeddedKafka} it resolves (of a {@code @BeforeAll} method, a test or a
 * constructor) starts the broker, and it closes when the run ends. A class on it names its own topics, application ids
 * and groups ({@link #ownNames}), and never stops the broker: a class that stops, fills or secures one keeps its own.
 */
public final class SharedBroker implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedBroker.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafka.class;
    }

    /** The store of the root context outlives every class and closes what it holds, an AutoCloseable, at the end of the run. */
    @Override
    public EmbeddedKafka resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(EmbeddedKafka.class, type -> EmbeddedKafka.builder().build().start(), EmbeddedKafka.class);
    }

    /**
     * Settings that give an application its own names on the shared broker: each topic its default name after
     * {@code owner}, and its own application.id and forwarder group, where two classes with the defaults would meet.
     */
    public static Map<String, String> ownNames(String owner) {
        Map<String, String> settings = new LinkedHashMap<>(TopicNames.of(spec -> owner + "." + spec.defaultName()).asSettings());
        settings.put("application.id", owner);
        settings.put("caddy.forward.group-id", owner + "-forwarder");
        return settings;
    }
}
