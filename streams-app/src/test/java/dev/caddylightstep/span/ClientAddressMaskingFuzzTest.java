package dev.caddylightstep.span;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.caddylightstep.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * caddy.client-address=truncate on any text a line's remote_ip or client_ip may hold: an address is kept, its prefix
 * only, exactly when it is an IP literal of the grammar RFC 3986 gives IPv6 (bracketed or not, with a zone or not) or a
 * dotted IPv4 address without leading zeros, and its bytes are those the JDK reads from the same literal. The reference
 * decides what is a literal by that grammar written as regular expressions, and asks {@code InetAddress.getByName}
 * only for what the grammar accepts: given anything else, it would ask the name service.
 * An input is the IPv4 prefix (its first byte), the IPv6 prefix (its second) and the address, UTF-8. The corpus
 * (ClientAddressMaskingFuzzTestInputs in the test resources) holds the addresses Caddy 2.6.2 logged and near misses.
 */
class ClientAddressMaskingFuzzTest {
    private static final String DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final String IPV4 = DEC_OCTET + "(?:\\." + DEC_OCTET + "){3}";
    private static final String H16 = "[0-9A-Fa-f]{1,4}";
    private static final String LS32 = "(?:" + H16 + ":" + H16 + "|" + IPV4 + ")";
    /** RFC 3986's IPv6address, alternative by alternative. */
    private static final String IPV6 = String.join("|",
            "(?:" + H16 + ":){6}" + LS32,
            "::(?:" + H16 + ":){5}" + LS32,
            "(?:" + H16 + ")?::(?:" + H16 + ":){4}" + LS32,
            "(?:(?:" + H16 + ":){0,1}" + H16 + ")?::(?:" + H16 + ":){3}" + LS32,
            "(?:(?:" + H16 + ":){0,2}" + H16 + ")?::(?:" + H16 + ":){2}" + LS32,
            "(?:(?:" + H16 + ":){0,3}" + H16 + ")?::" + H16 + ":" + LS32,
            "(?:(?:" + H16 + ":){0,4}" + H16 + ")?::" + LS32,
            "(?:(?:" + H16 + ":){0,5}" + H16 + ")?::" + H16,
            "(?:(?:" + H16 + ":){0,6}" + H16 + ")?::");
    /** The zone, whatever follows the %, is dropped; an IPv6 address may be bracketed, an IPv4 one not. */
    private static final Pattern LITERAL = Pattern.compile(
            "(?<v4>" + IPV4 + ")|(?<v6>" + IPV6 + ")(?s:%.*)?|\\[(?<bracketed>" + IPV6 + ")(?s:%.*)?\\]");

    @FuzzTest(maxDuration = "10m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void anIpLiteralKeepsItsPrefixAndNothingElseIsKept(byte[] input) throws UnknownHostException {
        int ipv4Prefix = input.length > 0 ? (input[0] & 0xff) % 33 : 24;
        int ipv6Prefix = input.length > 1 ? (input[1] & 0xff) % 129 : 48;
        String address = input.length > 2 ? new String(input, 2, input.length - 2, StandardCharsets.UTF_8) : "";
        ClientAddressMasking truncate = ClientAddressMasking.from(Settings.of(Map.of("caddy.client-address", "truncate",
                "caddy.client-address.ipv4-prefix", Integer.toString(ipv4Prefix),
                "caddy.client-address.ipv6-prefix", Integer.toString(ipv6Prefix))));

        String truncated = truncate.apply(address);

        assertThat(truncated).as(address).isEqualTo(expected(address, ipv4Prefix, ipv6Prefix));
    }

    /** The empty address stays empty, as Caddy logs no address at all; the rest by the grammar and the JDK. */
    private static String expected(String address, int ipv4Prefix, int ipv6Prefix) throws UnknownHostException {
        if (address.isEmpty()) {
            return address;
        }
        var literal = LITERAL.matcher(address);
        if (!literal.matches()) {
            return null;
        }
        String text = literal.group("v4") != null ? literal.group("v4")
                : literal.group("v6") != null ? literal.group("v6") : literal.group("bracketed");
        // a literal of the grammar, so read as one: no lookup
        byte[] bytes = InetAddress.getByName(text).getAddress();
        int prefix = bytes.length == 4 ? ipv4Prefix : ipv6Prefix;
        byte[] masked = Arrays.copyOf(bytes, bytes.length);
        for (int i = 0; i < masked.length; i++) {
            int kept = Math.max(0, Math.min(8, prefix - 8 * i));
            masked[i] &= (byte) (0xff00 >>> kept);
        }
        return InetAddress.getByAddress(masked).getHostAddress();
    }
}
