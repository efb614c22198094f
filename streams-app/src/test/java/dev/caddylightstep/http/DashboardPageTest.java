package dev.caddylightstep.http;

import static dev.caddylightstep.testing.browser.DumpedDom.cellText;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.testing.browser.DumpedDom;
import dev.caddylightstep.testing.browser.HeadlessChromium;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard page in a real (headless) browser against a canned API: what an operator sees. */
class DashboardPageTest {

    private static final String TEMPLATE = "https://app.lightstep.com/demo/trace?trace_id={trace_id}";
    private static final long MINUTE_MS = 60_000;
    private static final long FIRST_WINDOW_MS = 1_795_564_740_000L;

    /** Enough virtual time for the first poll to land, and less than the page's 2 s poll interval. */
    private static final Duration ONE_POLL = Duration.ofMillis(1_500);
    /** Enough virtual time for the page to poll twice more after its first load. */
    private static final Duration SEVERAL_POLLS = Duration.ofMillis(5_000);

    private static final String HOSTILE_GROUP = "<img src=x onerror=alert(1)>";
    private static final String HOSTILE_ROUTE = "<script>alert(1)</script>";

    private static final String SLOW_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SLOWER_TRACE = "0af7651916cd43dd8448eb211c80319c";

    private HeadlessChromium chromium;
    private CannedDashboardApi api;

    @BeforeEach
    void startApi() {
        chromium = HeadlessChromium.assumeInstalled();
        api = CannedDashboardApi.start();
        api.config(TEMPLATE, MINUTE_MS);
    }

    @AfterEach
    void stopApi() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void showsTheNewestWindowOfEachGroup() {
        api.windows(List.of(
                window("engineering", 0, 90, 2, 70.0),
                window("engineering", 1, 120, 7, 90.3),
                window("sales", 1, 30, 0, 130.2)));

        DumpedDom dom = load();

        String engineering = groupRow(dom, "engineering");
        assertThat(cellText(engineering, "count")).isEqualTo("120");
        assertThat(cellText(engineering, "rate")).isEqualTo("2.00");          // 120 requests / 60 s
        assertThat(cellText(engineering, "error-rate")).isEqualTo("2.5%");    // 3 errors / 120
        assertThat(cellText(engineering, "p99")).isEqualTo("90.3");
        assertThat(engineering).contains("<span class=\"badge breach\">7</span>");
        String sales = groupRow(dom, "sales");
        assertThat(cellText(sales, "count")).isEqualTo("30");
        assertThat(cellText(sales, "rate")).isEqualTo("0.50");
        assertThat(cellText(sales, "p99")).isEqualTo("130");
        assertThat(sales).contains("<span class=\"badge ok\">0</span>");
        assertThat(DumpedDom.cellTexts(dom.html(), "group")).containsExactly("engineering", "sales");
        assertThat(dom.bodyText()).containsPattern("updated \\d\\d:\\d\\d:\\d\\d · 3 windows");
    }

    @Test
    void aSecondLoadShowsChangedData() {
        api.windows(List.of(window("engineering", 0, 120, 0, 90.3)));
        assertThat(cellText(groupRow(load(), "engineering"), "count")).isEqualTo("120");

        api.windows(List.of(
                window("engineering", 0, 150, 0, 90.3),
                window("engineering", 1, 12, 0, 44.0)));

        DumpedDom dom = load();
        String engineering = groupRow(dom, "engineering");
        assertThat(cellText(engineering, "count")).isEqualTo("12");
        assertThat(cellText(engineering, "p99")).isEqualTo("44.0");
        assertThat(dom.bodyText()).contains("· 2 windows");
    }

    @Test
    void pollingShowsTheFillingWindowGrowWithoutAReload() {
        api.windowsInTurn(
                List.of(window("engineering", 0, 120, 0, 90.3)),
                List.of(window("engineering", 0, 180, 1, 95.5), window("sales", 0, 6, 0, 12.0)));

        DumpedDom dom = new DumpedDom(chromium.dumpDom(api.page(), SEVERAL_POLLS));

        assertThat(api.windowRequests()).isGreaterThanOrEqualTo(2);
        assertThat(cellText(groupRow(dom, "engineering"), "count")).isEqualTo("180");
        assertThat(cellText(groupRow(dom, "sales"), "count")).isEqualTo("6");
        assertThat(dom.bodyText()).contains("· 2 windows");
    }

    @Test
    void logDataIsRenderedAsTextNeverAsMarkup() {
        api.windows(List.of(
                window(HOSTILE_GROUP, 0, 500, 0, 12.0),
                window("engineering", 0, 120, 0, 90.3)));
        api.routes(HOSTILE_GROUP, List.of(
                route(window(HOSTILE_GROUP, 0, 400, 0, 11.0), HOSTILE_ROUTE),
                route(window(HOSTILE_GROUP, 0, 100, 0, 15.0), "/api/users/{id}")));

        DumpedDom dom = load();

        assertThat(api.routeRequests()).contains(HOSTILE_GROUP);
        assertThat(cellText(groupRow(dom, HOSTILE_GROUP), "count")).isEqualTo("500");
        assertThat(dom.html()).contains("&lt;img src=x onerror=alert(1)&gt;");
        assertThat(cellText(routeRow(dom, HOSTILE_ROUTE), "count")).isEqualTo("400");
        assertThat(dom.html()).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(dom.startTags("img")).isEmpty();
        assertThat(dom.startTags("script")).hasSize(2);
        assertThat(dom.attributeValues("<script", "src")).containsExactly("uplot.iife.min.js", "app.js");
    }

    @Test
    void exemplarsLinkToTheirTracesThroughTheTemplate() {
        String notHex = "zz" + SLOW_TRACE.substring(2);
        String script = "javascript:alert(1)";
        api.windows(List.of(window("engineering", 0, 120, 0, 90.3, SLOWER_TRACE, notHex, script)));

        DumpedDom dom = load();

        assertThat(dom.attributeValues("<a class=\"trace\"", "href"))
                .containsExactly("https://app.lightstep.com/demo/trace?trace_id=" + SLOWER_TRACE);
        assertThat(DumpedDom.cellTexts(groupRow(dom, "engineering"), "exemplars"))
                .containsExactly(SLOWER_TRACE + notHex + script);
        assertThat(dom.html()).contains("<span class=\"trace-id\" title=\"" + notHex + "\">" + notHex + "</span>");
    }

    @Test
    void withoutATemplateTraceIdsAreShownUnlinked() {
        api.config("", MINUTE_MS);
        api.windows(List.of(window("engineering", 0, 120, 0, 90.3, SLOW_TRACE)));

        DumpedDom dom = load();

        assertThat(dom.startTags("a")).isEmpty();
        assertThat(cellText(groupRow(dom, "engineering"), "exemplars")).isEqualTo(SLOW_TRACE);
    }

    @Test
    void screenshotShowsTheDashboard() throws IOException {
        api.windows(demoWindows());
        api.routes("engineering", List.of(
                route(withPolicyCounts(window("engineering", 5, 160, 3, 180.4, SLOW_TRACE)), "/api/users/{id}"),
                route(withPolicyCounts(window("engineering", 5, 70, 0, 95.0, SLOWER_TRACE)), "/api/orders"),
                route(withPolicyCounts(window("engineering", 5, 30, 0, 12.5)), "/healthz")));

        Path png = chromium.screenshot(api.page(), Path.of("target", "dashboard.png"), 1400, 1000, SEVERAL_POLLS);

        assertThat(Files.size(png)).isPositive();
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1400);
        assertThat(image.getHeight()).isEqualTo(1000);
        // A page that failed to render is one or two flat colours; text and charts bring hundreds.
        assertThat(distinctColours(image)).isGreaterThan(100);
    }

    private DumpedDom load() {
        return new DumpedDom(chromium.dumpDom(api.page(), ONE_POLL));
    }

    private static String groupRow(DumpedDom dom, String group) {
        return dom.rowWithCell("group", group)
                .orElseThrow(() -> new AssertionError("no row for group " + group + " in\n" + dom.html()));
    }

    private static String routeRow(DumpedDom dom, String route) {
        return dom.rowWithCell("route", route)
                .orElseThrow(() -> new AssertionError("no row for route " + route + " in\n" + dom.html()));
    }

    /** A window of {@code group}, {@code minute} minutes after the first, with 3 errors and 10 denials. */
    private static Map<String, Object> window(
            String group, int minute, long count, long sloBreaches, double p99, String... exemplars) {
        long start = FIRST_WINDOW_MS + minute * MINUTE_MS;
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("min", 0.4);
        latency.put("mean", p99 / 6);
        latency.put("p50", p99 / 8);
        latency.put("p90", p99 / 3);
        latency.put("p95", p99 / 2);
        latency.put("p99", p99);
        latency.put("p999", p99 * 1.2);
        latency.put("max", p99 * 1.3);
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("group", group);
        window.put("window_start_ms", start);
        window.put("window_end_ms", start + MINUTE_MS);
        window.put("count", count);
        window.put("errors", 3);
        window.put("denied", 10);
        window.put("misfires", 4);
        window.put("over_permissive", 3);
        window.put("over_restrictive", 1);
        window.put("slo_breaches", sloBreaches);
        window.put("bytes", count * 427);
        window.put("latency_ms", latency);
        window.put("exemplars", List.of(exemplars.length == 0 ? new String[] {SLOW_TRACE} : exemplars));
        return window;
    }

    private static Map<String, Object> route(Map<String, Object> window, String route) {
        Map<String, Object> routeWindow = new LinkedHashMap<>(window);
        routeWindow.put("route", route);
        return routeWindow;
    }

    /** Six minutes of three groups, the newest window still filling: what the README's picture shows. */
    private static List<Map<String, Object>> demoWindows() {
        long[] engineering = {210, 240, 232, 275, 301, 260};
        long[] sales = {80, 85, 91, 78, 96, 70};
        long[] support = {30, 28, 41, 35, 33, 12};
        List<Map<String, Object>> windows = new ArrayList<>();
        for (int minute = 0; minute < 6; minute++) {
            windows.add(withPolicyCounts(window("engineering", minute, engineering[minute], minute >= 4 ? 3 : 0,
                    140 + 12 * minute, SLOW_TRACE, SLOWER_TRACE)));
            windows.add(withPolicyCounts(window("sales", minute, sales[minute], 0, 60 + 3 * minute, SLOWER_TRACE)));
            windows.add(withPolicyCounts(window("support", minute, support[minute], 0, 35 - minute, SLOW_TRACE)));
        }
        return windows;
    }

    /** Errors, denials and misfires in proportion to the window's requests, as real traffic has them. */
    private static Map<String, Object> withPolicyCounts(Map<String, Object> window) {
        long count = (long) window.get("count");
        long overPermissive = count / 90;
        long overRestrictive = count / 200;
        window.put("errors", count / 70);
        window.put("denied", count / 25);
        window.put("misfires", overPermissive + overRestrictive);
        window.put("over_permissive", overPermissive);
        window.put("over_restrictive", overRestrictive);
        return window;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
