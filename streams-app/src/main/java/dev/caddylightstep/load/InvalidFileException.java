package dev.caddylightstep.load;

/** An identities or policies file that cannot be loaded; the message names the file, the entry and the field. */
public final class InvalidFileException extends RuntimeException {
    public InvalidFileException(String message) {
        super(message);
    }
}
