package dev.caddylightstep.forward;

/**
 * The backend's answer to one export request.
 *
 * @param failure what the failure means for the request; {@code null} when the backend acknowledged it
 * @param why     the status or exception, for the log and the dead letters
 */
record ExportAnswer(ExportFailure failure, String why) {
    static final ExportAnswer ACKNOWLEDGED = new ExportAnswer(null, "acknowledged");

    boolean acknowledged() {
        return failure == null;
    }
}
