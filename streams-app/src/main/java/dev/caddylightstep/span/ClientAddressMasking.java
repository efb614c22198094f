package dev.caddylightstep.span;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What becomes of a client's address in a span: kept, truncated to a network prefix, or replaced by a keyed
 * hash (HMAC-SHA-256, so that the hash of an IPv4 address cannot be reversed by trying all of them).
 *
 * @param hashKey the HMAC key for {@link Mode#HASH}; a secret, never logged
 */
public record ClientAddressMasking(Mode mode, int ipv4Prefix, int ipv6Prefix, byte[] hashKey) {

    public static final ClientAddressMasking KEEP = new ClientAddressMasking(Mode.KEEP, 32, 128, new byte[0]);
    private static final int MAX_IPV4_CHARS = "255.255.255.255".length();
    private static final int MAX_IPV6_CHARS = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".length();

    /** The three treatments of an address. */
    public enum Mode { KEEP, TRUNCATE, HASH }

    /** caddy.client-address and its prefixes; the hash key comes from the environment. */
    public static ClientAddressMasking from(Settings s) {
        String mode = s.choice("caddy.client-address", "keep", "truncate", "hash");
        int v4 = s.integer("caddy.client-address.ipv4-prefix", 0, 32);
        int v6 = s.integer("caddy.client-address.ipv6-prefix", 0, 128);
        byte[] key = s.string("caddy.client-address.hash-key").getBytes(StandardCharsets.UTF_8);
        if (mode.equals("hash") && key.length < 16) {
            throw new ConfigException("caddy.client-address.hash-key (CADDY_CLIENT_ADDRESS_HASH_KEY): "
                    + "caddy.client-address=hash needs a secret key of at least 16 bytes");
        }
        return new ClientAddressMasking(Mode.valueOf(mode.toUpperCase(Locale.ROOT)), v4, v6, key);
    }

    public String apply(String address) {
        if (address == null || address.isEmpty() || mode == Mode.KEEP) {
            return address;
        }
        return mode == Mode.TRUNCATE ? truncate(address) : hash(address);
    }

    private String truncate(String address) {
        byte[] bytes = literalAddress(address);
        if (bytes == null) {
            return null;
        }
        int prefix = bytes.length == 4 ? ipv4Prefix : ipv6Prefix;
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private String hash(String address) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hashKey, "HmacSHA256"));
            byte[] digest = mac.doFinal(address.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /**
     * The bytes of an IP literal as Caddy logs one (dotted IPv4; IPv6 in any of its text forms, bracketed or not, its zone
     * dropped), read here; null for anything else. Not by {@code InetAddress.getByName}: given what is no literal
     * ("999.1.1.1", "x:1"), it asks the name service, so that whoever wrote the line chose a DNS query the stream
     * thread waited for.
     */
    private static byte[] literalAddress(String address) {
        boolean bracketed = address.length() > 1 && address.startsWith("[") && address.endsWith("]");
        String a = bracketed ? address.substring(1, address.length() - 1) : address;
        if (a.indexOf(':') < 0) {
            // brackets are IPv6's
            byte[] v4 = new byte[4];
            return !bracketed && a.length() <= MAX_IPV4_CHARS && ipv4(a, v4, 0) ? v4 : null;
        }
        int zone = a.indexOf('%');
        byte[] v6 = ipv6(zone >= 0 ? a.substring(0, zone) : a);
        // an IPv4-mapped address is its IPv4 address, as InetAddress has it
        return v6 != null && isIpv4Mapped(v6) ? Arrays.copyOfRange(v6, 12, 16) : v6;
    }

    /** Four decimal numbers of 0 to 255 without leading zeros, dot-separated, into {@code into} from {@code at}. */
    private static boolean ipv4(String s, byte[] into, int at) {
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || part == 4) {
                    return false;
                }
                into[at + part++] = (byte) value;
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9' && digits < 3 && !(digits == 1 && value == 0)) {
                value = value * 10 + (c - '0');
                digits++;
                if (value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return part == 4;
    }

    /** Eight groups of one to four hex digits, a "::" standing for one or more of zero, the last two as IPv4 if dotted. */
    private static byte[] ipv6(String s) {
        int gap = s.indexOf("::");
        if (s.length() > MAX_IPV6_CHARS || (gap >= 0 && s.indexOf("::", gap + 1) >= 0)) {
            return null;
        }
        byte[] bytes = new byte[16];
        // the dotted IPv4 address may only end the address: "1.2.3.4::1" is none
        int head = groups(gap < 0 ? s : s.substring(0, gap), bytes, gap < 0);
        if (gap < 0) {
            return head == bytes.length ? bytes : null;
        }
        byte[] tail = new byte[16];
        int tailLength = groups(s.substring(gap + 2), tail, true);
        if (head < 0 || tailLength < 0 || head + tailLength > bytes.length - 2) {
            return null;
        }
        System.arraycopy(tail, 0, bytes, bytes.length - tailLength, tailLength);
        return bytes;
    }

    /**
     * The bytes of colon-separated groups, the last possibly dotted IPv4 when {@code ipv4Last}, written from the start:
     * how many, or -1.
     */
    private static int groups(String s, byte[] into, boolean ipv4Last) {
        if (s.isEmpty()) {
            return 0;
        }
        int n = 0;
        int from = 0;
        while (true) {
            int colon = s.indexOf(':', from);
            int end = colon < 0 ? s.length() : colon;
            if (colon < 0 && s.indexOf('.', from) >= 0) {
                return ipv4Last && n + 4 <= into.length && ipv4(s.substring(from), into, n) ? n + 4 : -1;
            }
            int length = end - from;
            if (length == 0 || length > 4 || n + 2 > into.length) {
                return -1;
            }
            int value = 0;
            for (int i = from; i < end; i++) {
                // ASCII only: Character.digit takes the digits of every script
                if (!HexFormat.isHexDigit(s.charAt(i))) {
                    return -1;
                }
                value = value << 4 | HexFormat.fromHexDigit(s.charAt(i));
            }
            into[n++] = (byte) (value >>> 8);
            into[n++] = (byte) value;
            if (colon < 0) {
                return n;
            }
            from = colon + 1;
        }
    }

    private static boolean isIpv4Mapped(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
    }

    @Override
    public String toString() {
        return "ClientAddressMasking[" + mode + ", /" + ipv4Prefix + ", /" + ipv6Prefix + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientAddressMasking other && mode == other.mode && ipv4Prefix == other.ipv4Prefix
                && ipv6Prefix == other.ipv6Prefix && Arrays.equals(hashKey, other.hashKey);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(mode, ipv4Prefix, ipv6Prefix, Arrays.hashCode(hashKey));
    }
}
