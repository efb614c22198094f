package dev.caddylightstep.loadtest;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.identity.EnrichStage;
import dev.caddylightstep.identity.IdentifiedRequest;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySerde;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.policy.JudgeStage;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicySerde;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * The pipeline's per-request work without Kafka: parse a line, then the enrich and judge stages' own functions, with
 * the identity and the policy looked up in maps instead of the tables' stores, encoded as the stores hold them and read
 * through the tables' deserializers. Not thread-safe (the parser is not).
 */
public final class InMemoryStages {
    private static final String IDENTITIES = "edge.identities";
    private static final String POLICIES = "edge.policies";
    private final IdentitySource source = IdentitySource.USER_ID;
    private final CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), source.requestHeaders(), CapturedHeaders.none());
    private final Serde<Identity> identitySerde = IdentitySerde.create();
    private final Serde<Policy> policySerde = PolicySerde.create();
    private final Map<String, byte[]> identities = new HashMap<>();
    private final Map<String, byte[]> policies = new HashMap<>();
    private final RouteTemplates routes = new RouteTemplates(List.of());

    /** With the site's identities and policies ({@link SiteTables}). */
    public InMemoryStages() {
        SiteTables.identities().forEach(identity -> identities.put(identity.id(), identitySerde.serializer().serialize(IDENTITIES, identity)));
        SiteTables.policies().forEach(policy -> policies.put(policy.group(), policySerde.serializer().serialize(POLICIES, policy)));
    }

    /** The request of an access line; null for a line the pipeline would skip or dead-letter. */
    public EnrichedRequest enrich(byte[] line) {
        ParseOutcome outcome = parser.parse(line);
        return outcome instanceof ParseOutcome.Parsed parsed ? enrich(parsed.event()) : null;
    }

    public EnrichedRequest enrich(AccessEvent event) {
        IdentifiedRequest request = EnrichStage.global(event, source,
                identity -> identitySerde.deserializer().deserialize(IDENTITIES, identities.get(identity)));
        String group = request.identity().group();
        Policy policy = group == null ? null : policySerde.deserializer().deserialize(POLICIES, policies.get(group));
        return JudgeStage.judge(request, policy, routes);
    }

    /** {@code count} access lines (no malformed lines, no other loggers) of the generator with this seed. */
    public static List<byte[]> accessLines(long seed, int count) {
        CaddyLogGenerator generator = new CaddyLogGenerator(GeneratorSettings.defaults().withSeed(seed).withShares(0, 0));
        List<byte[]> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lines.add(generator.nextLine());
        }
        return lines;
    }
}
