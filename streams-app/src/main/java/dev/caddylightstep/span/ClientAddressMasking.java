package dev.caddylightstep.span;

import dev.caddylightstep.config.ConfigException;
import dev.caddylightstep.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
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

    /** The bytes of an IP literal; null for anything else, which is never resolved through DNS. */
    private static byte[] literalAddress(String address) {
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        boolean literal = a.indexOf(':') >= 0 || a.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        if (!literal || a.isEmpty()) {
            return null;
        }
        try {
            return InetAddress.getByName(a).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "ClientAddressMasking[" + mode + ", /" + ipv4Prefix + ", /" + ipv6Prefix + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientAddressMasking other && mode == other.mode && ipv4Prefix == other.ipv4Prefix
                && ipv6Prefix == other.ipv6Prefix && java.util.Arrays.equals(hashKey, other.hashKey);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(mode, ipv4Prefix, ipv6Prefix, java.util.Arrays.hashCode(hashKey));
    }
}
