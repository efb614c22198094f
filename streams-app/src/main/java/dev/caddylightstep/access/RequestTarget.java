package dev.caddylightstep.access;

/**
 * The path and query of a logged request target. Caddy logs the target as the client sent it: origin form
 * ("/a?b"), absolute form ("http://host/a?b", proxies) or asterisk form ("*", OPTIONS).
 */
record RequestTarget(String path, String query) {

    static RequestTarget split(String uri) {
        int pathStart = 0;
        int scheme = uri.indexOf("://");
        if (scheme > 0 && uri.charAt(0) != '/') {
            int slash = uri.indexOf('/', scheme + 3);
            int question = uri.indexOf('?', scheme + 3);
            pathStart = slash < 0 ? uri.length() : question >= 0 && question < slash ? question : slash;
        }
        int question = uri.indexOf('?', pathStart);
        String path = question < 0 ? uri.substring(pathStart) : uri.substring(pathStart, question);
        String query = question < 0 ? null : uri.substring(question + 1);
        return new RequestTarget(path.isEmpty() ? "/" : path, query);
    }
}
