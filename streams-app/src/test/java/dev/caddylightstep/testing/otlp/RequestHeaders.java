package dev.caddylightstep.testing.otlp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The headers (HTTP) or metadata (gRPC) one export request arrived with. Names are lower-cased, as
 * HTTP/2 sends them, because the JDK's HTTP server capitalises them instead.
 */
public record RequestHeaders(Map<String, List<String>> values) {

    public RequestHeaders {
        Map<String, List<String>> lowerCased = new TreeMap<>();
        values.forEach((name, list) -> lowerCased.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>())
                .addAll(list));
        lowerCased.replaceAll((name, list) -> List.copyOf(list));
        values = Map.copyOf(lowerCased);
    }

    /** The first value of a header, whatever the case of {@code name}. */
    public Optional<String> first(String name) {
        return all(name).stream().findFirst();
    }

    public List<String> all(String name) {
        return values.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }
}
