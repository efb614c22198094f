package dev.caddylightstep.access;

import java.util.Collections;
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

    public static CapturedHeaders none() {
        return new CapturedHeaders(Set.of(), Set.of());
    }

    private static Set<String> caseInsensitive(Set<String> names) {
        TreeSet<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        names.stream().map(String::trim).filter(name -> !name.isEmpty()).forEach(set::add);
        return Collections.unmodifiableSet(set);
    }
}
