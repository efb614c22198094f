package dev.caddylightstep.span;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.config.Settings;
import dev.caddylightstep.testing.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * caddy.client-address=truncate on the addresses a line may hold: Caddy's own (remote_ip, client_ip) in every text
 * form, and whatever else whoever wrote the line put there, which is never a name to look up.
 */
class ClientAddressMaskingTest {
    private static final ClientAddressMasking TRUNCATE = ClientAddressMasking.from(Settings.of(Map.of("caddy.client-address", "truncate",
            "caddy.client-address.ipv4-prefix", "24", "caddy.client-address.ipv6-prefix", "48")));
    /** Not IP literals, though each looks near enough to one for InetAddress.getByName to try the name service. */
    private static final List<String> NOT_LITERALS = List.of("999.999.999.999", "1.2.3.4.5", "256.1.1.1", "zz:zz", "g::1",
            "1.2.3", "localhost", "::1::", "1:2:3:4:5:6:7:8:9", "01.2.3.4", "[1.2.3.4]", "١.٢.٣.٤", "1.2.3.4%eth0", "127.0.0.1::0", "");

    @Test
    void ipv4AndIpv6AddressesInEveryTextFormKeepTheirPrefix() {
        assertThat(TRUNCATE.apply("203.0.113.77")).isEqualTo("203.0.113.0");
        assertThat(TRUNCATE.apply("0.0.0.0")).isEqualTo("0.0.0.0");
        assertThat(TRUNCATE.apply("2001:db8:85a3:8d3:1319:8a2e:370:7348")).isEqualTo("2001:db8:85a3:0:0:0:0:0");
        assertThat(TRUNCATE.apply("2001:DB8:85A3::7348")).isEqualTo("2001:db8:85a3:0:0:0:0:0");
        assertThat(TRUNCATE.apply("[2001:db8:1::1]")).isEqualTo("2001:db8:1:0:0:0:0:0");
        assertThat(TRUNCATE.apply("fe80:1:2::1%eth0")).isEqualTo("fe80:1:2:0:0:0:0:0");
        assertThat(TRUNCATE.apply("::1")).isEqualTo("0:0:0:0:0:0:0:0");
        assertThat(TRUNCATE.apply("::")).isEqualTo("0:0:0:0:0:0:0:0");
        assertThat(TRUNCATE.apply("1:2:3:4:5:6:7::")).isEqualTo("1:2:3:0:0:0:0:0");
        assertThat(TRUNCATE.apply("64:ff9b:1::192.0.2.33")).isEqualTo("64:ff9b:1:0:0:0:0:0");
        // an IPv4-mapped address is its IPv4 address
        assertThat(TRUNCATE.apply("::ffff:198.51.100.7")).isEqualTo("198.51.100.0");
    }

    @Test
    void whatIsNoIpLiteralIsLeftOut() {
        NOT_LITERALS.forEach(address -> assertThat(TRUNCATE.apply(address)).as(address).isIn(null, ""));
        assertThat(TRUNCATE.apply("1:".repeat(100_000) + "1")).isNull();
    }

    /**
     * The lookup is what must not happen: a JVM whose name service answers for each of them from a hosts file
     * (jdk.net.hosts.file, read once at its start), where any lookup would give 192.0.2.1.
     */
    @Test
    void noAddressALineHoldsIsLookedUp(@TempDir Path dir) throws Exception {
        Path hosts = Files.writeString(dir.resolve("hosts"), "192.0.2.1 " + String.join(" ", NOT_LITERALS.subList(0, NOT_LITERALS.size() - 1)) + "\n");
        try (ChildProcess child = ChildProcess.java("client-address", Map.of(), List.of("-Djdk.net.hosts.file=" + hosts),
                Truncated.class.getName(), NOT_LITERALS.toArray(String[]::new))) {
            assertThat(child.waitFor(Duration.ofSeconds(60))).as(child.output()).isZero();
            assertThat(child.output().lines()).hasSize(NOT_LITERALS.size()).allSatisfy(line -> assertThat(line).endsWith(" -> null"));
        }
    }

    /** Prints what truncate makes of each argument. */
    static final class Truncated {
        public static void main(String[] addresses) {
            for (String address : addresses) {
                String truncated = TRUNCATE.apply(address);
                System.out.println(address + " -> " + (truncated == null || truncated.isEmpty() ? null : truncated));
            }
        }
    }
}
