package dev.caddylightstep.ship;

/** Where the next line of a log file starts: the file and a byte offset into it (uncompressed). */
record LogPosition(LogFile file, long offset) {
    @Override
    public String toString() {
        return file.path() + ":" + offset;
    }
}
