package dev.caddylightstep.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.IdentitiesFile;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.Application;
import dev.caddylightstep.testing.FatalFailures;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.topology.Topics;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.StreamSupport;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * /api/slo of a running application on a real broker, with the demo's identities and policies, except that support's
 * sets no target: the capture's first half is logged half an hour before the rest, so that its windows close and the
 * objectives are evaluated at their end. Every period then holds that one window, so each burn rate is its bad
 * requests over its requests, over the share the target allows.
 */
@ExtendWith(SharedBroker.class)
class SloApiTest {
    private static final Path DEMO = Path.of("src", "main", "resources", "demo");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(120);
    private static Application app;
    private static Map<String, Policy> policies;
    /** The first half of the capture, as logged half an hour ago. */
    private static List<String> firstHalf;
    private static long firstWindowEndMs;

    @TempDir
    static Path stateDir;

    @BeforeAll
    static void start(EmbeddedKafka kafka) throws Exception {
        Map<String, String> raw = new HashMap<>(SharedBroker.ownNames("slo-api"));
        raw.put("bootstrap.servers", kafka.bootstrapServers());
        raw.put("state.dir", stateDir.toString());
        raw.put("commit.interval.ms", "200");
        raw.put("caddy.http.port", "0");
        Settings settings = Settings.of(raw);
        PipelineConfig config = PipelineConfig.from(settings);
        Topics topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), 2, (short) 1));
        policies = new HashMap<>();
        for (Policy policy : PoliciesFile.read(DEMO.resolve("policies.yaml"))) {
            policies.put(policy.group(), policy.group().equals("support")
                    ? new Policy(policy.group(), policy.allow(), policy.deny(), policy.latencySloMs(), null, null, null) : policy);
        }
        TableLoader.load(config.kafka(), topics.identities(), IdentitiesFile.read(DEMO.resolve("identities.yaml")), Identity::id);
        TableLoader.load(config.kafka(), topics.policies(), List.copyOf(policies.values()), Policy::group);
        app = new Application(Application.Role.STREAMS, config, ForwarderSettings.from(settings), Optional.empty(), HttpSettings.from(settings),
                FatalFailures.END_THE_FORK).start();

        long now = System.currentTimeMillis();
        long firstWindowStartMs = (now - Duration.ofMinutes(30).toMillis()) / 60_000 * 60_000;
        firstWindowEndMs = firstWindowStartMs + 60_000;
        List<String> capture = CaddyCapture.lines("access.log");
        firstHalf = capture.subList(0, capture.size() / 2);
        send(kafka, topics, firstHalf, firstWindowStartMs + 1000);
        // all of the first half counted before the rest moves log time past its windows: none of it arrives late
        awaitAnswer("the first half counted in /api/windows", () -> requests(get("/api/windows")) == firstHalf.size());
        send(kafka, topics, capture.subList(capture.size() / 2, capture.size()), now);
        awaitAnswer("three groups evaluated in /api/slo", () -> groups(get("/api/slo")).size() == 3);
    }

    /**
     * Waits for the application to answer as expected. The time allowed is only for a slow machine: the windows close
     * as soon as both partitions' tasks have read the second half, or half a minute later when one partition got fewer
     * of its lines than its task's clock needs to move (16), and that task's time stands still. When it runs out, the
     * failure says what the application answered, so that a stall can be told from a wrong answer.
     */
    private static void awaitAnswer(String what, Callable<Boolean> answered) throws Exception {
        try {
            await().atMost(ANSWER_WITHIN).until(answered);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no " + what + " within " + ANSWER_WITHIN + "; streams " + app.streams().map(s -> s.streams().state() + " "
                    + s.streams().metadataForLocalThreads().stream().map(t -> t.threadName() + " " + t.threadState() + " " + t.activeTasks().size() + " tasks").toList())
                    .orElse("none") + ", ready " + answer("/health/ready")
                    + "; /api/windows " + answer("/api/windows") + "; /api/slo " + answer("/api/slo"), e);
        }
    }

    /** Status and body of an answer, the body cut at 4,000 characters, for a failure's message. */
    private static String answer(String path) throws Exception {
        HttpResponse<String> answer = fetch(path);
        String body = answer.body();
        return answer.statusCode() + " " + (body.length() > 4000 ? body.substring(0, 4000) + "..." : body);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static void send(EmbeddedKafka kafka, Topics topics, List<String> lines, long tsMs) {
        TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(), lines.stream()
                .map(l -> CaddyCapture.withField(l, "ts", BigDecimal.valueOf(tsMs).movePointLeft(3)))
                .map(l -> l.getBytes(StandardCharsets.UTF_8)).toList());
    }

    private static JsonNode get(String path) throws Exception {
        return AggregateJson.JSON.readTree(fetch(path).body());
    }

    private static HttpResponse<String> fetch(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The requests in these windows; -1 for an answer that is not windows (503 while the stores open). */
    private static long requests(JsonNode windows) {
        return windows.isArray() ? StreamSupport.stream(windows.spliterator(), false).mapToLong(w -> w.get("count").asLong()).sum() : -1;
    }

    /** The groups of an /api/slo answer, in its order; none for an answer that is not one (503 while the stores open). */
    private static List<String> groups(JsonNode answer) {
        return answer.isArray() ? StreamSupport.stream(answer.spliterator(), false).map(g -> g.get("group").asText()).toList() : List.of();
    }

    private static JsonNode objective(String group, String slo) throws Exception {
        for (JsonNode g : get("/api/slo")) {
            if (g.get("group").asText().equals(group)) {
                for (JsonNode s : g.get("slos")) {
                    if (s.get("slo").asText().equals(slo)) {
                        return s;
                    }
                }
            }
        }
        throw new AssertionError("no " + slo + " objective for " + group + " in " + get("/api/slo"));
    }

    /** The first half's lines of a user, and of them those slower than the group's objective and those answered 5xx. */
    private static long[] requestsSlowAndErrors(String user, String group) {
        long slowerThanNanos = policies.get(group).latencySloMs() * 1_000_000L;
        long requests = 0;
        long slow = 0;
        long errors = 0;
        for (String line : firstHalf) {
            JsonNode tree = CaddyCapture.tree(line);
            if (tree.path("user_id").asText().equals(user)) {
                requests++;
                slow += new BigDecimal(tree.get("duration").asText()).movePointRight(9).longValue() > slowerThanNanos ? 1 : 0;
                errors += tree.get("status").asInt() >= 500 ? 1 : 0;
            }
        }
        return new long[] {requests, slow, errors};
    }

    private static void assertObjective(JsonNode objective, double target, long requests, long bad) {
        double burnRate = (double) bad / requests / (1 - target);
        assertThat(objective.get("target").asDouble()).isEqualTo(target);
        for (String period : List.of("5m", "30m", "1h", "6h", "3d")) {
            assertThat(objective.get("burn_rates").get(period).asDouble()).as(period).isCloseTo(burnRate, within(1e-4));
        }
        assertThat(objective.get("budget_remaining").asDouble()).isCloseTo(1 - burnRate, within(1e-4));
        // the workbook's rules over equal rates: a page above 6 (6 h and 30 min), a ticket above 1 (3 days and 6 h)
        List<String> firing = new ArrayList<>();
        if (burnRate > 6) {
            firing.add("page");
        }
        if (burnRate > 1) {
            firing.add("ticket");
        }
        assertThat(objective.get("firing")).extracting(JsonNode::asText).containsExactlyElementsOf(firing);
        assertThat(objective.get("evaluated_at_ms").asLong()).isEqualTo(firstWindowEndMs);
    }

    @Test
    void theGroupsWithObjectivesAreAnsweredByName() throws Exception {
        assertThat(groups(get("/api/slo"))).containsExactly("anonymous", "engineering", "sales");
    }

    @Test
    void aGroupsBudgetsAreWhatItsClosedWindowLeft() throws Exception {
        long[] sales = requestsSlowAndErrors("bob", "sales");
        assertObjective(objective("sales", "latency"), policies.get("sales").latencyTarget(), sales[0], sales[1]);
        assertObjective(objective("sales", "availability"), policies.get("sales").availabilityTarget(), sales[0], sales[2]);
    }

    @Test
    void aGroupWithinOneObjectiveAndPastTheOtherFiresOnlyForThatOne() throws Exception {
        long[] engineering = requestsSlowAndErrors("alice", "engineering");
        assertThat(engineering[1]).as("slow requests of alice's in the capture's first half").isPositive();
        assertThat(engineering[2]).as("5xx of alice's in the capture's first half").isZero();
        assertObjective(objective("engineering", "latency"), policies.get("engineering").latencyTarget(), engineering[0], engineering[1]);
        assertObjective(objective("engineering", "availability"), policies.get("engineering").availabilityTarget(), engineering[0], 0);
    }

    @Test
    void theLocalScopeAnswersAsTheOnlyInstanceDoes() throws Exception {
        assertThat(get("/api/slo?scope=local")).isEqualTo(get("/api/slo"));
    }

    @Test
    void onlyTheQueryItselfIsAnswered() throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/api/slo/sales")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(404);
    }
}
