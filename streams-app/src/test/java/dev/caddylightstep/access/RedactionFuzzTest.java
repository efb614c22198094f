package dev.caddylightstep.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * A query of any text: the value of each parameter whose name, form-decoded as a server decodes it, is a sensitive
 * one is REDACTED, and every other byte stays as it was. The reference splits the query at each '&' and decodes each
 * name with the JDK's {@link URLDecoder}, a '%' not followed by two hex digits kept as it is. An input is the query,
 * UTF-8. The corpus (RedactionFuzzTestInputs in the test resources) holds the queries of the captures and names
 * encoded in every way.
 */
class RedactionFuzzTest {
    private static final Redaction REDACTION = Redaction.defaults();
    /** A '%' that starts no escape: URLDecoder would refuse it, where a server keeps it as it is. */
    private static final Pattern LONE_PERCENT = Pattern.compile("%(?![0-9A-Fa-f]{2})");

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theValueOfEverySensitiveParameterIsRedactedAndNothingElse(byte[] input) {
        String query = new String(input, StandardCharsets.UTF_8);

        String redacted = REDACTION.redactQuery(query);

        List<String> parameters = new ArrayList<>();
        boolean anySecret = false;
        for (String parameter : query.split("&", -1)) {
            int eq = parameter.indexOf('=');
            boolean secret = eq >= 0 && eq + 1 < parameter.length() && isSensitive(parameter.substring(0, eq));
            parameters.add(secret ? parameter.substring(0, eq + 1) + Redaction.REDACTED : parameter);
            anySecret |= secret;
        }
        assertThat(redacted).isEqualTo(String.join("&", parameters));
        if (!anySecret) {
            // nothing made for a query without a secret, as most are
            assertThat(redacted).isSameAs(query);
        }
    }

    private static boolean isSensitive(String name) {
        String decoded = URLDecoder.decode(LONE_PERCENT.matcher(name).replaceAll("%25"), StandardCharsets.UTF_8);
        return Redaction.DEFAULT_SENSITIVE_QUERY_PARAMETERS.contains(decoded.toLowerCase(Locale.ROOT));
    }
}
