package dev.caddylightstep.access;

/**
 * The TLS connection of a request as Caddy logged it ({@code request.tls}).
 *
 * @param version Go's tls.Version* constant, e.g. 772 for TLS 1.3
 * @param proto the negotiated ALPN protocol, or null
 * @param clientCommonName the mTLS client certificate's common name (newer Caddy), or null
 */
public record TlsInfo(boolean resumed, int version, int cipherSuite, String proto, String serverName, String clientCommonName) {

    /** The protocol version as OpenTelemetry's tls.protocol.version has it ("1.3"), or null when unknown. */
    public String protocolVersion() {
        return switch (version) {
            case 0x0301 -> "1.0";
            case 0x0302 -> "1.1";
            case 0x0303 -> "1.2";
            case 0x0304 -> "1.3";
            default -> null;
        };
    }
}
