package dev.caddylightstep.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** deploy/monitoring as committed: the rules of alerts.yaml and the queries they make, the Grafana dashboard and its queries. */
final class MonitoringFiles {
    /** Grafana's query of a variable's values: label_values(SELECTOR, LABEL). */
    static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");
    /** A query an alert's annotation makes: {{ with printf "QUERY" $labels.x | query }}. */
    static final Pattern TEMPLATE_QUERY = Pattern.compile("printf\\s+\"((?:[^\"\\\\]|\\\\.)*)\"[^}|]*\\|\\s*query\\b");

    private MonitoringFiles() {
    }

    /** One rule of a rule group: a recording rule (record) or an alerting rule (alert). */
    record Rule(String group, JsonNode node) {
        boolean records() {
            return node.has("record");
        }

        /** What it records, or its alert's name. */
        String name() {
            return records() ? node.path("record").asText() : node.path("alert").asText();
        }

        String expr() {
            return node.path("expr").asText();
        }

        /** Its expression and the queries its annotations make. */
        List<String> queries() {
            List<String> queries = new ArrayList<>(List.of(expr()));
            node.path("annotations").forEach(text -> {
                Matcher query = TEMPLATE_QUERY.matcher(text.asText());
                while (query.find()) {
                    queries.add(query.group(1));
                }
            });
            return queries;
        }

        String label(String name) {
            return node.path("labels").path(name).asText(null);
        }

        String annotation(String name) {
            return node.path("annotations").path(name).asText(null);
        }

        String where() {
            return "alerts.yaml group " + group + ", rule " + name();
        }
    }

    static List<Rule> rules() {
        List<Rule> rules = new ArrayList<>();
        for (JsonNode group : DeployFiles.documents(DeployFiles.path("monitoring/alerts.yaml")).get(0).path("groups")) {
            group.path("rules").forEach(rule -> rules.add(new Rule(group.path("name").asText(), rule)));
        }
        return rules;
    }

    /** The series alerts.yaml records, each with the metrics its expression reads. */
    static Map<String, List<String>> recordedFrom() {
        Map<String, List<String>> recorded = new LinkedHashMap<>();
        for (Rule rule : rules()) {
            if (rule.records()) {
                recorded.put(rule.name(), PromQl.metricNames(rule.expr()));
            }
        }
        return recorded;
    }

    static JsonNode dashboard() throws IOException {
        return DeployFiles.YAML.readTree(DeployFiles.path("monitoring/grafana-dashboard.json").toFile());
    }

    /** The expressions of every panel's targets. */
    static List<String> panelQueries() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard().path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.path("expr").asText());
            }
        }
        return exprs;
    }

    /** The expressions of every panel's targets and the selectors of the variables' queries. */
    static List<String> dashboardQueries() throws IOException {
        List<String> exprs = panelQueries();
        for (String query : variableQueries()) {
            Matcher labelValues = LABEL_VALUES.matcher(query);
            exprs.add(labelValues.matches() ? labelValues.group(1) : query);
        }
        return exprs;
    }

    /** The queries of the dashboard's query variables (a string, or an object with the string as its query). */
    static List<String> variableQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        for (JsonNode variable : dashboard().path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.path("query");
                queries.add(query.has("query") ? query.path("query").asText() : query.asText());
            }
        }
        return queries;
    }
}
