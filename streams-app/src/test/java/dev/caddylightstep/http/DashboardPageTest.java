package dev.caddylightstep.http;

import static dev.caddylightstep.testing.browser.DumpedDom.cellText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
    private static final String HOSTILE_STAGE = "<img src=x onerror=alert(2)>";
    private static final String HOSTILE_SLO = "<img src=x onerror=alert(3)>";
    private static final String HOSTILE_SEVERITY = "<img src=x onerror=alert(4)>";

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
        Map<String, Object> hostileStages = typicalStages(490);
        hostileStages.put(HOSTILE_STAGE, stage(490, 2.0, 4.0));
        // A Server-Timing name that is also the name of a property every JavaScript object inherits.
        hostileStages.put("__proto__", stage(490, 1.0, 3.0));
        api.windows(List.of(
                withStages(window(HOSTILE_GROUP, 0, 500, 0, 12.0), hostileStages),
                window("engineering", 0, 120, 0, 90.3)));
        api.objectives(List.of(objectives(HOSTILE_GROUP, objective(HOSTILE_SLO, 0.99, 0.5, 1.0, HOSTILE_SEVERITY))));
        api.routes(HOSTILE_GROUP, List.of(
                route(window(HOSTILE_GROUP, 0, 400, 0, 11.0), HOSTILE_ROUTE),
                route(window(HOSTILE_GROUP, 0, 100, 0, 15.0), "/api/users/{id}")));

        DumpedDom dom = load();

        assertThat(api.routeRequests()).contains(HOSTILE_GROUP);
        assertThat(cellText(groupRow(dom, HOSTILE_GROUP), "count")).isEqualTo("500");
        assertThat(dom.html()).contains("&lt;img src=x onerror=alert(1)&gt;");
        assertThat(cellText(routeRow(dom, HOSTILE_ROUTE), "count")).isEqualTo("400");
        assertThat(dom.html()).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(DumpedDom.cellTexts(groupStages(dom), "stage")).contains(HOSTILE_STAGE, "__proto__");
        assertThat(DumpedDom.cellTexts(objectivesView(dom), "slo")).containsExactly(HOSTILE_SLO);
        assertThat(DumpedDom.cellTexts(objectivesView(dom), "alerts")).containsExactly(HOSTILE_SEVERITY);
        // the severity names no class: only page and ticket do
        assertThat(objectivesView(dom)).contains("<span class=\"badge alert\" title=");
        assertThat(dom.startTags("img")).isEmpty();
        assertThat(dom.startTags("script")).hasSize(2);
        assertThat(dom.attributeValues("<script", "src")).containsExactly("uplot.iife.min.js", "app.js");
    }

    @Test
    void eachGroupShowsTheBudgetLeftOfEachObjectiveWithItsTargetAndItsFiringAlerts() {
        api.windows(List.of(window("engineering", 0, 120, 7, 90.3), window("sales", 0, 30, 0, 130.2)));
        api.objectives(List.of(
                objectives("engineering", objective("latency", 0.99, -0.25, 18.2, "page", "ticket"), objective("availability", 0.999, 0.9312, 0.0)),
                objectives("sales", objective("latency", 0.99, 0.97, 0.3), objective("availability", 0.999, 1.0, 0.0))));

        DumpedDom dom = load();

        String engineering = groupRow(dom, "engineering");
        assertThat(objectiveTexts(engineering)).containsExactly("latency -25.0% left · 99% page ticket", "availability 93.1% left · 99.9%");
        assertThat(engineering).contains("<span class=\"badge alert page\" title=\"latency burn-rate alert firing: page\">page</span>");
        String sales = groupRow(dom, "sales");
        assertThat(objectiveTexts(sales)).containsExactly("latency 97.0% left · 99%", "availability 100.0% left · 99.9%");
        assertThat(sales).doesNotContain("badge alert");
    }

    @Test
    void theChosenGroupsObjectivesShowTheirBurnRatesAndAlerts() {
        api.windows(List.of(window("engineering", 0, 120, 7, 90.3), window("sales", 0, 300, 0, 130.2)));
        Map<String, Object> latency = objective("latency", 0.99, -0.25, 18.2, "page");
        latency.put("burn_rates", burnRates(18.2, 9.0, 15.1, 6.3, 1.25));
        api.objectives(List.of(objectives("engineering", latency, objective("availability", 0.999, 0.9312, 0.0))));

        String view = objectivesView(loadAt("#group=engineering"));

        assertThat(DumpedDom.cellTexts(view, "slo")).containsExactly("latency", "availability");
        assertThat(DumpedDom.cellTexts(view, "target")).containsExactly("99%", "99.9%");
        assertThat(DumpedDom.cellTexts(view, "budget")).containsExactly("-25.0%", "93.1%");
        assertThat(DumpedDom.cellTexts(view, "burn-rate"))
                .containsExactly("18.2", "9.00", "15.1", "6.30", "1.25", "0.00", "0.00", "0.00", "0.00", "0.00");
        assertThat(DumpedDom.cellTexts(view, "alerts")).containsExactly("page", "");
    }

    @Test
    void aGroupWithoutObjectivesShowsNone() {
        api.windows(List.of(window("engineering", 0, 120, 7, 90.3), window("sales", 0, 300, 0, 130.2)));
        api.objectives(List.of(objectives("engineering", objective("latency", 0.99, 0.5, 2.0, "ticket"))));

        DumpedDom dom = loadAt("#group=sales");

        assertThat(objectiveTexts(groupRow(dom, "sales"))).isEmpty();
        assertThat(DumpedDom.cellTexts(objectivesView(dom), "slo")).isEmpty();
        assertThat(new DumpedDom(objectivesView(dom)).bodyText()).contains("No objectives");
        assertThat(objectiveTexts(groupRow(dom, "engineering"))).containsExactly("latency 50.0% left · 99% ticket");
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
    void theGroupsTimeIsSharedAmongItsStagesWithTheirP99s() {
        // 120 requests, 118 of them upstream: 1.1 ms in Caddy, 31 ms upstream, of which the backend's
        // Server-Timing puts 20.4 ms in the database (on 97 requests) and 5.2 ms in the cache: shares that,
        // each rounded on its own, would read 99.9% in all.
        Map<String, Object> stages = new LinkedHashMap<>();
        stages.put("edge", stage(118, 1.1, 2.4));
        stages.put("upstream", stage(118, 31.0, 88.0));
        stages.put("cache", stage(118, 5.2, 9.8));
        stages.put("db", stage(97, 20.4, 71.0));
        api.windows(List.of(withStages(window("engineering", 0, 120, 0, 90.3), stages)));

        String view = groupStages(load());

        double edgeMs = 118 * 1.1;
        double upstreamMs = 118 * 31.0;
        double dbMs = 97 * 20.4;
        double cacheMs = 118 * 5.2;
        double totalMs = edgeMs + upstreamMs;
        assertThat(DumpedDom.cellTexts(view, "stage")).containsExactly("edge", "upstream", "db", "cache", "upstream, rest");
        List<String> shares = DumpedDom.cellTexts(view, "share");
        assertThat(percent(shares.get(0))).isCloseTo(100 * edgeMs / totalMs, within(0.1));
        assertThat(percent(shares.get(1))).isCloseTo(100 * dbMs / totalMs, within(0.1));
        assertThat(percent(shares.get(2))).isCloseTo(100 * cacheMs / totalMs, within(0.1));
        assertThat(percent(shares.get(3))).isCloseTo(100 * (upstreamMs - dbMs - cacheMs) / totalMs, within(0.1));
        assertThat(shares.stream().mapToLong(DashboardPageTest::tenthsOfAPercent).sum()).isEqualTo(1000);
        assertThat(DumpedDom.cellTexts(view, "p99")).containsExactly("2.40", "88.0", "71.0", "9.80", "–");
        assertThat(DumpedDom.cellTexts(view, "requests")).containsExactly("118", "118", "97", "118", "118");
        assertThat(new DumpedDom(view).attributeValues("<span class=\"segment\"", "data-stage"))
                .containsExactly("edge", "db", "cache", "upstream, rest");
        assertThat(new DumpedDom(view).bodyText()).contains("118 of 120 requests went upstream");
    }

    @Test
    void theChosenRouteShowsWhereItsOwnTimeGoes() {
        Map<String, Object> rendered = new LinkedHashMap<>();
        rendered.put("edge", stage(40, 0.9, 1.7));
        rendered.put("upstream", stage(40, 12.0, 30.0));
        rendered.put("render", stage(40, 9.0, 26.5));
        api.windows(List.of(window("engineering", 0, 200, 0, 90.3)));
        api.routes("engineering", List.of(
                route(withStages(window("engineering", 0, 160, 0, 95.0), typicalStages(160)), "/api/users/{id}"),
                route(withStages(window("engineering", 0, 40, 0, 30.0), rendered), "/reports/{id}")));

        DumpedDom dom = loadAt("#group=engineering&route=%2Freports%2F%7Bid%7D");

        String view = routeStages(dom);
        assertThat(view).contains("data-name=\"/reports/{id}\"");
        assertThat(DumpedDom.cellTexts(view, "stage")).containsExactly("edge", "upstream", "render", "upstream, rest");
        assertThat(DumpedDom.cellTexts(view, "p99")).containsExactly("1.70", "30.0", "26.5", "–");
        String chosen = routeRow(dom, "/reports/{id}");
        assertThat(chosen.substring(0, chosen.indexOf('>'))).contains("class=\"selected\"");
    }

    @Test
    void withoutAChosenRouteTheBusiestRoutesTimeIsShown() {
        api.windows(List.of(window("engineering", 0, 200, 0, 90.3)));
        api.routes("engineering", List.of(
                route(withStages(window("engineering", 0, 40, 0, 30.0), typicalStages(40)), "/reports/{id}"),
                route(withStages(window("engineering", 0, 160, 0, 95.0), typicalStages(160)), "/api/users/{id}")));

        String view = routeStages(load());

        assertThat(view).contains("data-name=\"/api/users/{id}\"");
        assertThat(DumpedDom.cellTexts(view, "requests")).first().isEqualTo("160");
    }

    @Test
    void aWindowWhoseRequestsNeverWentUpstreamSaysItHasNoStages() {
        api.windows(List.of(withStages(window("engineering", 0, 40, 0, 3.0), new LinkedHashMap<>())));

        String view = groupStages(load());

        assertThat(new DumpedDom(view).bodyText())
                .contains("No stage timings: none of the 40 requests of this window went upstream with timing.");
        assertThat(DumpedDom.cellTexts(view, "share")).isEmpty();
    }

    @Test
    void aWindowFromAnInstanceWithoutStageTimingStillShows() {
        api.windows(List.of(window("engineering", 0, 120, 0, 90.3)));

        DumpedDom dom = load();

        assertThat(cellText(groupRow(dom, "engineering"), "count")).isEqualTo("120");
        assertThat(new DumpedDom(groupStages(dom)).bodyText())
                .contains("No stage timings: this window comes from an instance that does not record them.");
    }

    @Test
    void screenshotShowsTheDashboard() throws IOException {
        api.windows(demoWindows());
        api.objectives(List.of(
                objectives("engineering", objective("latency", 0.99, 0.412, 7.4, "page", "ticket"), objective("availability", 0.999, 0.962, 0.2)),
                objectives("sales", objective("latency", 0.99, 0.981, 0.1), objective("availability", 0.999, 0.874, 0.6))));
        api.routes("engineering", List.of(
                route(withStages(withPolicyCounts(window("engineering", 5, 160, 3, 180.4, SLOW_TRACE)),
                        typicalStages(154)), "/api/users/{id}"),
                route(withStages(withPolicyCounts(window("engineering", 5, 70, 0, 95.0, SLOWER_TRACE)),
                        typicalStages(68)), "/api/orders"),
                route(withStages(withPolicyCounts(window("engineering", 5, 30, 0, 12.5)), new LinkedHashMap<>()),
                        "/healthz")));

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

    /** The page opened at {@code fragment}, as a link to a chosen group or route would open it. */
    private DumpedDom loadAt(String fragment) {
        return new DumpedDom(chromium.dumpDom(api.page().resolve(fragment), ONE_POLL));
    }

    private static String groupRow(DumpedDom dom, String group) {
        return dom.rowWithCell("group", group)
                .orElseThrow(() -> new AssertionError("no row for group " + group + " in\n" + dom.html()));
    }

    private static String routeRow(DumpedDom dom, String route) {
        return dom.rowWithCell("route", route)
                .orElseThrow(() -> new AssertionError("no row for route " + route + " in\n" + dom.html()));
    }

    /** The "where the time goes" view of the chosen group. */
    private static String groupStages(DumpedDom dom) {
        return section(dom, "group-stages");
    }

    /** The "where the time goes" view of the chosen route. */
    private static String routeStages(DumpedDom dom) {
        return section(dom, "route-stages");
    }

    /** The chosen group's objectives. */
    private static String objectivesView(DumpedDom dom) {
        String html = dom.html();
        int at = html.indexOf(" id=\"objectives\"");
        if (at < 0) {
            throw new AssertionError("no objectives in\n" + html);
        }
        return html.substring(html.lastIndexOf("<div", at), html.indexOf("</div>", at) + "</div>".length());
    }

    /** The text of each objective in a group's row, in order. */
    private static List<String> objectiveTexts(String row) {
        String marker = "<span class=\"objective\"";
        List<String> texts = new ArrayList<>();
        for (int at = row.indexOf(marker); at >= 0; ) {
            int next = row.indexOf(marker, at + 1);
            String objective = row.substring(at, next < 0 ? row.indexOf("</td>", at) : next);
            texts.add(new DumpedDom(objective).bodyText().strip());
            at = next;
        }
        return texts;
    }

    private static String section(DumpedDom dom, String id) {
        String html = dom.html();
        int at = html.indexOf(" id=\"" + id + "\"");
        if (at < 0) {
            throw new AssertionError("no section " + id + " in\n" + html);
        }
        return html.substring(html.lastIndexOf("<section", at), html.indexOf("</section>", at) + "</section>".length());
    }

    private static double percent(String share) {
        return Double.parseDouble(share.substring(0, share.length() - 1));
    }

    private static long tenthsOfAPercent(String share) {
        return Math.round(percent(share) * 10);
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

    @SafeVarargs
    private static Map<String, Object> objectives(String group, Map<String, Object>... slos) {
        Map<String, Object> objectives = new LinkedHashMap<>();
        objectives.put("group", group);
        objectives.put("slos", List.of(slos));
        return objectives;
    }

    /** An objective evaluated at the end of the first window, burning at the same rate over every period. */
    private static Map<String, Object> objective(String slo, double target, double budgetRemaining, double burnRate, String... firing) {
        Map<String, Object> objective = new LinkedHashMap<>();
        objective.put("slo", slo);
        objective.put("target", target);
        objective.put("budget_remaining", budgetRemaining);
        objective.put("burn_rates", burnRates(burnRate, burnRate, burnRate, burnRate, burnRate));
        objective.put("firing", List.of(firing));
        objective.put("evaluated_at_ms", FIRST_WINDOW_MS + MINUTE_MS);
        return objective;
    }

    private static Map<String, Object> burnRates(double fiveMinutes, double thirtyMinutes, double hour, double sixHours, double threeDays) {
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("5m", fiveMinutes);
        rates.put("30m", thirtyMinutes);
        rates.put("1h", hour);
        rates.put("6h", sixHours);
        rates.put("3d", threeDays);
        return rates;
    }

    private static Map<String, Object> withStages(Map<String, Object> window, Map<String, Object> stages) {
        window.put("stages", stages);
        return window;
    }

    /**
     * A backend behind Caddy as it usually goes: about 1 ms in Caddy, 30 ms upstream, of which the
     * backend's Server-Timing puts 20 in the database (on four requests in five) and 5 in the cache.
     */
    private static Map<String, Object> typicalStages(long upstreamRequests) {
        Map<String, Object> stages = new LinkedHashMap<>();
        stages.put("edge", stage(upstreamRequests, 1.1, 2.4));
        stages.put("upstream", stage(upstreamRequests, 31.0, 88.0));
        stages.put("db", stage(upstreamRequests * 4 / 5, 20.4, 71.0));
        stages.put("cache", stage(upstreamRequests, 5.2, 9.8));
        return stages;
    }

    private static Map<String, Object> stage(long count, double mean, double p99) {
        Map<String, Object> stage = new LinkedHashMap<>();
        stage.put("count", count);
        stage.put("mean", mean);
        stage.put("p50", mean * 0.8);
        stage.put("p95", p99 * 0.7);
        stage.put("p99", p99);
        stage.put("max", p99 * 1.4);
        return stage;
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
            windows.add(withStages(withPolicyCounts(window("engineering", minute, engineering[minute],
                    minute >= 4 ? 3 : 0, 140 + 12 * minute, SLOW_TRACE, SLOWER_TRACE)),
                    typicalStages(engineering[minute] * 24 / 25)));
            windows.add(withStages(withPolicyCounts(window("sales", minute, sales[minute], 0, 60 + 3 * minute,
                    SLOWER_TRACE)), typicalStages(sales[minute] * 24 / 25)));
            windows.add(withStages(withPolicyCounts(window("support", minute, support[minute], 0, 35 - minute,
                    SLOW_TRACE)), new LinkedHashMap<>()));
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
