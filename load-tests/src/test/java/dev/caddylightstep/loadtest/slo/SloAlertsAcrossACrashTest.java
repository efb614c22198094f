package dev.caddylightstep.loadtest.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.loadtest.slo.IncidentLog.Alert;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.schema.SloAlertRecord;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.topics.TopicSpec;
import dev.caddylightstep.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25's alerts are written exactly once under crashes: the generated incident of {@link IncidentLog} through two
 * instances of {@code run --role streams} on a real broker, one of them killed with SIGKILL before the incident starts; the
 * other takes its tasks over once the killed member's session times out (Kafka's default, 45 s), and caddy.slo.alerts
 * (read_committed) holds the page the rules raise on the lines, when they raise it, and its resolution, each once, and
 * no alert change twice. The killed instance's tasks are silent longer than a task whose time stands still holds the
 * windows: the survivor's merges wait for them, and no window is decided, nor any partial dead-lettered, without them.
 */
@ExtendWith(SharedBroker.class)
class SloAlertsAcrossACrashTest {
    @TempDir
    Path dir;

    @Test
    void anInstanceKilledBeforeTheIncidentLeavesTheSameAlertsEachWrittenOnce(EmbeddedKafka kafka) throws Exception {
        // shorter than the shape, and sparser: the page still fires (about four minutes in) and resolves within
        // the 40 minutes after, on a third of the lines
        IncidentLog incident = IncidentLog.writeTo(dir, new IncidentLog.Shape(1, 40, 2));
        String id = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> topicSettings = new HashMap<>();
        for (TopicSpec topic : TopicSpec.values()) {
            topicSettings.put(topic.configKey(), topic.defaultName() + "." + id);
        }
        TopicNames names = dev.caddylightstep.config.Settings.of(topicSettings).topicNames();
        Topics topics = Topics.of(names);
        kafka.createTopics(TopicLayout.topics(names, 6, (short) 1));
        Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
        TableLoader.load(client, topics.identities(), SiteTables.identities(), Identity::id);
        TableLoader.load(client, topics.policies(), PoliciesFile.read(incident.policies), Policy::group);
        TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(),
                incident.lines.stream().map(line -> line.getBytes(StandardCharsets.UTF_8)).toList());

        try (ChildProcess a = instance(kafka, id, topicSettings, "a"); ChildProcess b = instance(kafka, id, topicSettings, "b")) {
            // the incident starts an hour into a log of two: killed at a third of the lines, before it
            // lines committed, not span records: a record holds the spans of many lines
            waitUntil(() -> linesCommitted(kafka, id, topics) > incident.lines.size() / 3, Duration.ofMinutes(3), a);
            a.kill();
            assertThat(linesCommitted(kafka, id, topics)).as("killed before the log was through").isLessThan(incident.lines.size());
            waitUntil(() -> linesCommitted(kafka, id, topics) == incident.lines.size(), Duration.ofMinutes(4), b);

            Instant horizon = incident.end.minus(Duration.ofMinutes(5));
            List<Alert> expectedPages = pagesBefore(incident.expectedAlerts(horizon), horizon);
            assertThat(expectedPages).as("the rules on the generated lines").hasSize(2);
            List<ConsumerRecord<byte[], byte[]>> read = TopicRecords.readUntil(kafka.bootstrapServers(), topics.sloAlerts().name(),
                    records -> pagesBefore(alerts(topics, records), horizon).size() >= expectedPages.size(), Duration.ofMinutes(4));
            List<Alert> written = alerts(topics, read);

            assertThat(pagesBefore(written, horizon))
                    .as(() -> b.output() + "\nevery alert read: " + written + "\n" + TopicRecords.progress(kafka.bootstrapServers(), "slo-crash-" + id, id))
                    .isEqualTo(expectedPages);
            assertThat(written).as("no change of state written twice").doesNotHaveDuplicates();
            for (ConsumerRecord<byte[], byte[]> r : read) {
                SloAlertRecord alert = topics.sloAlerts().valueSerde().deserializer().deserialize(r.topic(), r.value());
                // decided on every request of the windows it ends, not on those the survivor had read
                incident.burnRates(alert.getGroup(), alert.getSlo(), alert.getAtMs()).forEach((period, rate) ->
                        assertThat(alert.getBurnRates().get(period)).as(alert + " over " + period).isCloseTo(rate, within(1e-9)));
            }
            List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicRecords.readUntil(kafka.bootstrapServers(), topics.accessDeadLetters().name(),
                    records -> true, Duration.ZERO);
            assertThat(deadLetters).as(() -> "dead letters " + deadLetters.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)
                    + " " + Arrays.toString(r.headers().toArray())).toList()).isEmpty();
            // whether a merge says it holds depends on how long it saw the killed tasks silent on its own reading, which a
            // loaded machine slows (MergeTimeTest checks the lines themselves); what it says must end well
            String survivor = b.output();
            assertThat(survivor).as("the survivor's merges gave up on no task").doesNotContain("closes its windows without")
                    .doesNotContain("of the 6 tasks that feed it");
            Matcher held = Pattern.compile("holds its windows at .+? for task (\\S+),").matcher(survivor);
            while (held.find()) {
                assertThat(survivor.substring(held.end())).as("what the survivor said after it held for task " + held.group(1))
                        .contains("task " + held.group(1) + " runs again");
            }
            assertThat(b.isAlive()).isTrue();
        }
    }

    private static long linesCommitted(EmbeddedKafka kafka, String id, Topics topics) {
        return TopicRecords.committedOffsets(kafka.bootstrapServers(), "slo-crash-" + id, topics.access().name());
    }

    private ChildProcess instance(EmbeddedKafka kafka, String id, Map<String, String> topicSettings, String name) {
        List<String> args = new ArrayList<>(List.of("run", "--role", "streams", "--bootstrap-servers", kafka.bootstrapServers(),
                "--set", "application.id=slo-crash-" + id, "--set", "state.dir=" + dir.resolve("state-" + name),
                "--set", "commit.interval.ms=100", "--set", "caddy.http.port=0"));
        topicSettings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        return ChildProcess.start("slo-" + name + "-" + id, Map.of(), args.toArray(String[]::new));
    }

    private static void waitUntil(BooleanSupplier condition, Duration timeout, ChildProcess watched) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(watched.output()).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static List<Alert> alerts(Topics topics, List<ConsumerRecord<byte[], byte[]>> records) {
        List<Alert> alerts = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            SloAlertRecord v = topics.sloAlerts().valueSerde().deserializer().deserialize(r.topic(), r.value());
            alerts.add(new Alert(v.getGroup(), v.getSlo(), v.getSeverity(), v.getState(), v.getAtMs()));
        }
        alerts.sort(java.util.Comparator.comparingLong(Alert::atMs).thenComparing(Alert::group).thenComparing(Alert::slo)
                .thenComparing(Alert::severity));
        return alerts;
    }

    private static List<Alert> pagesBefore(List<Alert> alerts, Instant horizon) {
        return alerts.stream().filter(a -> a.severity().equals("page") && a.atMs() <= horizon.toEpochMilli()).toList();
    }
}
