package dev.caddylightstep.config;

/** A configuration value that cannot be used; the message names the key, what was given and what is allowed. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
