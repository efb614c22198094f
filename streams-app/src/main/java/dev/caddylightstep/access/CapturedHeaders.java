package dev.caddylightstep.access;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The headers an operator chose to record on spans, as OpenTelemetry's opt-in {@code http.request.header.<name>}
 * and {@code http.response.header.<name>} attributes. Opt-in because headers carry personal data, and because they
 * are most of a line's bytes: the parser decodes only these and the few the pipeline reads.
 *
 * @param request request header names, compared without regard to case
 * @param response response header names, compared without regard to case
 */
public record CapturedHeaders(Set<String> request, Set<String> response) {
    public CapturedHeaders {
        request = caseInsensitive(request);
        response = caseInsensitive(response);
    }

    /** caddy.span.capture-request-headers and -response-headers; a redacted header is refused, not silently left out. */
    public static CapturedHeaders from(Settings s, Redaction redaction) {
        return new CapturedHeaders(headerNames(s, "caddy.span.capture-request-headers", redaction),
                headerNames(s, "caddy.span.capture-response-headers", redaction));
    }

    private static Set<String> headerNames(Settings s, String key, Redaction redaction) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : s.list(key)) {
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw Settings.invalid(key, name, "HTTP header names, comma-separated");
            }
            if (redaction.dropsHeader(name)) {
                throw new ConfigException(key + ": " + name + " is redacted (credentials, or caddy.redact.headers) and is never recorded");
            }
            names.add(name);
        }
        return names;
    }

    public static CapturedHeaders none() {
        return new CapturedHeaders(Set.of(), Set.of());
    }

    private static Set<String> caseInsensitive(Set<String> names) {
        TreeSet<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        names.stream().map(String::trim).filter(name -> !name.isEmpty()).forEach(set::add);
        return Collections.unmodifiableSet(set);
    }
}
