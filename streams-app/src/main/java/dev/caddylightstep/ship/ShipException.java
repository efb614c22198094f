package dev.caddylightstep.ship;

/** Why the shipper cannot start or cannot go on; the message is one line that names what and where. */
public final class ShipException extends RuntimeException {
    public ShipException(String message) {
        super(message);
    }

    ShipException(String message, Throwable cause) {
        super(message, cause);
    }
}
