package dev.caddylightstep.loadtest;

import dev.caddylightstep.access.AccessEvent;
import dev.caddylightstep.access.CaddyLogParser;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.access.LogFormat;
import dev.caddylightstep.access.ParseOutcome;
import dev.caddylightstep.access.Redaction;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.identity.IdentitySource;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.policy.PolicyVerdict;
import dev.caddylightstep.route.RouteTemplates;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipeline's per-request work without Kafka: parse a line, identify it, look the identity up in a map
 * instead of the identities table, take its route template and judge it by its group's policy, as the stages do.
 * Not thread-safe (the parser is not).
 */
public final class InMemoryStages {
    private final IdentitySource source = IdentitySource.USER_ID;
    private final CaddyLogParser parser = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), source.requestHeaders(), CapturedHeaders.none());
    private final Map<String, Identity> identities = new HashMap<>();
    private final Map<String, Policy> policies = new HashMap<>();
    private final RouteTemplates routes = new RouteTemplates(List.of());

    /** With the site's identities and policies ({@link SiteTables}). */
    public InMemoryStages() {
        SiteTables.identities().forEach(identity -> identities.put(identity.id(), identity));
        SiteTables.policies().forEach(policy -> policies.put(policy.group(), policy));
    }

    /** The request of an access line; null for a line the pipeline would skip or dead-letter. */
    public EnrichedRequest enrich(byte[] line) {
        ParseOutcome outcome = parser.parse(line);
        return outcome instanceof ParseOutcome.Parsed parsed ? enrich(parsed.event()) : null;
    }

    public EnrichedRequest enrich(AccessEvent event) {
        String key = source.keyOf(event);
        Identity identity = key == null ? Identity.anonymous() : identities.get(key);
        if (identity == null) {
            identity = Identity.unknown(key);
        }
        return new EnrichedRequest(event, identity, routes.templateOf(event.path()), PolicyVerdict.judge(policies.get(identity.group()), event));
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
