package dev.caddylightstep.cli;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secret values of the environment (tokens, passwords, keys, OTLP header values, the password of a JAAS
 * configuration), as given and URL-encoded or decoded, so that nothing the command line prints carries one, whatever
 * library wrote the message.
 */
final class EnvironmentSecrets {
    private static final Pattern SECRET_NAME = Pattern.compile("TOKEN|PASSWORD|SECRET|HEADERS|JAAS|CREDENTIAL|KEY$");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password\\s*=\\s*\"([^\"]*)\"");
    /** Shorter values are left alone: hiding every "a" or "123" would garble a message without hiding anything real. */
    private static final int SHORTEST = 4;

    private final List<String> values;

    private EnvironmentSecrets(List<String> values) {
        this.values = values;
    }

    static EnvironmentSecrets of(Map<String, String> environment) {
        List<String> values = new ArrayList<>();
        environment.forEach((name, value) -> {
            if (!SECRET_NAME.matcher(name.toUpperCase(Locale.ROOT)).find() || value == null) {
                return;
            }
            add(values, value);
            if (name.endsWith("HEADERS")) {
                for (String item : value.split(",")) {
                    add(values, item.substring(item.indexOf('=') + 1).trim());
                }
            }
            Matcher password = JAAS_PASSWORD.matcher(value);
            while (password.find()) {
                add(values, password.group(1));
            }
        });
        values.sort(Comparator.comparingInt(String::length).reversed());
        return new EnvironmentSecrets(values);
    }

    private static void add(List<String> values, String value) {
        if (value.strip().length() < SHORTEST) {
            return;
        }
        values.add(value);
        values.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
        try {
            values.add(URLDecoder.decode(value, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            // not URL-encoded: only the value as given can appear
        }
    }

    /** The text with every secret value replaced by "(hidden)". */
    String hide(String text) {
        String hidden = text;
        for (String value : values) {
            hidden = hidden.replace(value, "(hidden)");
        }
        return hidden;
    }
}
