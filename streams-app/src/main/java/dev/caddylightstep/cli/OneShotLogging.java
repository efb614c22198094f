package dev.caddylightstep.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * For commands that do one thing and end (load, topics): the Kafka clients' own log lines about a failure
 * would repeat, in several lines and with stack traces, what the command reports in its one line.
 */
final class OneShotLogging {
    private OneShotLogging() {
    }

    static void silenceKafkaClients() {
        ch.qos.logback.classic.LoggerContext context = (ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory();
        for (Logger logger : context.getLoggerList()) {
            if (logger.getName().startsWith("org.apache.kafka") && logger.getLevel() != null) {
                logger.setLevel(Level.OFF);
            }
        }
        context.getLogger("org.apache.kafka").setLevel(Level.OFF);
    }
}
