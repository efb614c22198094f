package dev.caddylightstep.identity;

import dev.caddylightstep.access.AccessEvent;

/** A request joined with its identity (or the anonymous or unknown stand-in). */
public record IdentifiedRequest(AccessEvent event, Identity identity) {
}
