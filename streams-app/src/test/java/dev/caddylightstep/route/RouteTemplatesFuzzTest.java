package dev.caddylightstep.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Route templates of any path a client sends (the input, as UTF-8): the configured pattern that matches, else the path
 * with its ids as placeholders, and no route at all past {@value RouteTemplates#MAX_ROUTE_CHARS} characters. The corpus
 * (RouteTemplatesFuzzTestInputs in the test resources) holds the capture's paths and random 404 paths; the path of
 * 150,000 segments of issue 21 is made by a test below.
 */
class RouteTemplatesFuzzTest {
    private static final List<String> CONFIGURED = List.of("/api/{tenant}/items/{item}", "/static/{file}");
    private static final RouteTemplates ROUTES = new RouteTemplates(CONFIGURED.stream().map(RoutePattern::parse).toList());

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{16,}");

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRouteIsItsPatternOrThePathWithPlaceholdersAndNeverLong(byte[] input) {
        templatedAsMeant(new String(input, StandardCharsets.UTF_8));
    }

    /** Issue 21's path of 150,000 segments (300 KB): no route. Made here, as a seed would have libFuzzer make inputs of up to 300 KB all along. */
    @Test
    void aPathOf150000SegmentsHasNoRoute() {
        String path = "/api/" + "a/".repeat(149_999) + "a";
        templatedAsMeant(path);
        assertThat(ROUTES.templateOf(path)).isNull();
    }

    private static void templatedAsMeant(String path) {
        String route = ROUTES.templateOf(path);
        assertThat(route).as("route of %s", path).isEqualTo(expectedRoute(path));
        if (route == null) {
            return;
        }
        assertThat(route.length()).isLessThanOrEqualTo(RouteTemplates.MAX_ROUTE_CHARS);
        // a route is a path whose ids are already placeholders: it is its own route
        assertThat(ROUTES.templateOf(route)).isEqualTo(route);
        if (configuredFor(path) == null && segments(path).stream().noneMatch(RouteTemplatesFuzzTest::isId)) {
            assertThat(route).isEqualTo(path);
        }
    }

    /** What the Javadoc of RouteTemplates says, segment by segment. */
    private static String expectedRoute(String path) {
        String configured = configuredFor(path);
        if (configured != null) {
            return configured;
        }
        List<String> route = new ArrayList<>();
        for (String segment : segments(path)) {
            route.add(DIGITS.matcher(segment).matches() ? "{id}" : UUID.matcher(segment).matches() ? "{uuid}"
                    : HEX.matcher(segment).matches() ? "{hex}" : segment);
        }
        String joined = String.join("/", route);
        return joined.length() <= RouteTemplates.MAX_ROUTE_CHARS ? joined : null;
    }

    private static boolean isId(String segment) {
        return DIGITS.matcher(segment).matches() || UUID.matcher(segment).matches() || HEX.matcher(segment).matches();
    }

    /** The first configured template with as many segments as the path, each {name} one that is not empty, the others equal. */
    private static String configuredFor(String path) {
        if (!path.startsWith("/")) {
            return null;
        }
        List<String> segments = segments(path.substring(1));
        for (String template : CONFIGURED) {
            List<String> wanted = segments(template.substring(1));
            boolean matches = wanted.size() == segments.size();
            for (int i = 0; matches && i < wanted.size(); i++) {
                matches = wanted.get(i).startsWith("{") ? !segments.get(i).isEmpty() : wanted.get(i).equals(segments.get(i));
            }
            if (matches) {
                return template;
            }
        }
        return null;
    }

    private static List<String> segments(String path) {
        return List.of(path.split("/", -1));
    }
}
