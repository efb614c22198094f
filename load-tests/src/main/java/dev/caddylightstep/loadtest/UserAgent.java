package dev.caddylightstep.loadtest;

import static dev.caddylightstep.loadtest.LineBuffer.utf8;

/** The programs that send the site's requests, each with the User-Agent it sends and what it can speak. */
enum UserAgent {
    FIREFOX("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", true),
    CHROME("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
            true),
    SAFARI_IPHONE("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
            + "Mobile/15E148 Safari/604.1", true),
    CURL("curl/7.88.1", false),
    PYTHON_REQUESTS("python-requests/2.31.0", false),
    OKHTTP("okhttp/4.12.0", false);

    /** The header's value, as JSON string content. */
    final byte[] header;
    final boolean browser;

    UserAgent(String header, boolean browser) {
        this.header = utf8(header);
        this.browser = browser;
    }

    /** python-requests speaks HTTP/1.1 only, over TLS too. */
    boolean speaksHttp2() {
        return this != PYTHON_REQUESTS;
    }

    /** curl asks for no encoding unless told --compressed, so file_server sends it files as they are. */
    boolean acceptsGzip() {
        return this != CURL;
    }
}
