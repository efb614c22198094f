package dev.caddylightstep.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTemplatesTest {
    private final RouteTemplates builtIn = new RouteTemplates(List.of());

    @Test
    void allDigitSegmentsBecomeId() {
        assertThat(builtIn.templateOf("/api/orders/1001/items")).isEqualTo("/api/orders/{id}/items");
    }

    @Test
    void uuidsBecomeUuid() {
        assertThat(builtIn.templateOf("/api/orders/3f2b8c1e-9d4a-4e7b-a1c2-0d9e8f7a6b5c")).isEqualTo("/api/orders/{uuid}");
    }

    @Test
    void longHexStringsBecomeHex() {
        assertThat(builtIn.templateOf("/api/blobs/4bf92f3577b34da6a3ce929d0e0e4736")).isEqualTo("/api/blobs/{hex}");
    }

    @Test
    void shortHexAndWordsStay() {
        assertThat(builtIn.templateOf("/api/cafe/beef1234")).isEqualTo("/api/cafe/beef1234");
        assertThat(builtIn.templateOf("/static/index.html")).isEqualTo("/static/index.html");
    }

    @Test
    void configuredPatternsWinOverThePlaceholders() {
        RouteTemplates routes = new RouteTemplates(List.of(RoutePattern.parse("/api/{tenant}/items/{item}")));
        assertThat(routes.templateOf("/api/acme/items/42")).isEqualTo("/api/{tenant}/items/{item}");
        assertThat(routes.templateOf("/api/acme/orders/42")).isEqualTo("/api/acme/orders/{id}");
    }

    @Test
    void aPlaceholderMustBeAWholeSegment() {
        assertThatThrownBy(() -> RoutePattern.parse("/api/v{version}/x")).hasMessageContaining("whole segment");
    }
}
