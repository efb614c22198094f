package dev.caddylightstep.access;

/**
 * The path and query of a logged request target. Caddy logs the target as the client sent it: origin form
 * ("/a?b"), absolute form ("http://host/a?b", proxies) or asterisk form ("*", OPTIONS).
 */
record RequestTarget(String path, String query) {

    static RequestTarget split(String uri) {
        // in every form the query is what follows the first '?', as the dead letters' redaction reads it: an absolute
        // form's authority ends at its path, or at its query when it has no path ("http://host?a=b")
        int question = uri.indexOf('?');
        String beforeQuery = question < 0 ? uri : uri.substring(0, question);
        int pathStart = 0;
        int scheme = beforeQuery.indexOf("://");
        if (scheme > 0 && uri.charAt(0) != '/') {
            int slash = beforeQuery.indexOf('/', scheme + 3);
            pathStart = slash < 0 ? beforeQuery.length() : slash;
        }
        String path = beforeQuery.substring(pathStart);
        return new RequestTarget(path.isEmpty() ? "/" : path, question < 0 ? null : uri.substring(question + 1));
    }
}
