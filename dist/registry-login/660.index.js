export const id = 660;
export const ids = [660];
export const modules = {

/***/ 2660:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createFetch: () => (/* binding */ createFetch)
/* harmony export */ });
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7075);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_stream__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _transport_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1805);
// A `fetch`-shaped function over the shared transport, for the JSON APIs (GitHub REST, the
// OIDC and cloud token exchanges, the Docker Hub API) so they honour HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY exactly as registry traffic does. Node's own fetch ignores those variables. Answers
// are real `Response` objects whose body streams from the socket; nothing is retried here (each
// API has its own rules for that), and redirects are followed only when asked, dropping
// Authorization when they leave the origin.


const MAX_REDIRECTS = 20;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
function toHeaders(raw) {
    const headers = new Headers();
    for (const [name, value] of Object.entries(raw)) {
        if (value === undefined)
            continue;
        for (const v of Array.isArray(value) ? value : [value])
            headers.append(name, v);
    }
    return headers;
}
let shared;
/** The process's transport for API calls (proxy settings from process.env), made on first use. */
function sharedTransport() {
    shared ??= new _transport_js__WEBPACK_IMPORTED_MODULE_1__/* .Transport */ .oK();
    return shared;
}
/**
 * A fetch over `transport` (default: one per process, reading the proxy variables from
 * process.env), or over a new transport built from `options` (an `env` for tests).
 */
function createFetch(transport) {
    let own;
    const pick = () => {
        if (transport instanceof _transport_js__WEBPACK_IMPORTED_MODULE_1__/* .Transport */ .oK)
            return transport;
        if (!transport)
            return sharedTransport();
        own ??= new _transport_js__WEBPACK_IMPORTED_MODULE_1__/* .Transport */ .oK(transport);
        return own;
    };
    return async (input, init = {}) => {
        let url = new URL(String(input));
        let method = (init.method ?? 'GET').toUpperCase();
        let headers = { ...(init.headers ?? {}) };
        let body = init.body;
        for (let hops = 0;; hops++) {
            const res = await pick().send({ method, url: url.href, headers, body });
            const location = res.headers.location;
            const redirect = res.status >= 300 && res.status < 400 && res.status !== 304 && typeof location === 'string';
            if (redirect && init.redirect !== 'manual') {
                res.body.resume();
                if (init.redirect === 'error')
                    throw new TypeError(`redirect to ${location} refused`);
                if (hops >= MAX_REDIRECTS)
                    throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${input}`);
                const next = new URL(location, url);
                if (next.origin !== url.origin) {
                    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
                }
                // as fetch: 303 always, and 301/302 after a POST, continue as a GET without the body
                if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
                    method = method === 'HEAD' ? 'HEAD' : 'GET';
                    body = undefined;
                    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-(type|length|encoding|language|location)$/i.test(k)));
                }
                url = next;
                continue;
            }
            const empty = NULL_BODY.has(res.status) || method === 'HEAD';
            if (empty)
                res.body.resume();
            return new Response(empty ? null : node_stream__WEBPACK_IMPORTED_MODULE_0__.Readable.toWeb(res.body), {
                status: res.status,
                headers: toHeaders(res.headers),
            });
        }
    };
}


/***/ }),

/***/ 1805:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  nI: () => (/* binding */ RetryableStatusError),
  oK: () => (/* binding */ Transport),
  gl: () => (/* binding */ describeNetworkError),
  mJ: () => (/* binding */ discardResponse),
  wx: () => (/* binding */ header),
  Hr: () => (/* binding */ isRetryableNetworkError),
  he: () => (/* binding */ parseLinkNext),
  yR: () => (/* binding */ readText)
});

// UNUSED EXPORTS: DEFAULT_RETRY, backoffDelay, isRetryableStatus, parseRetryAfter, proxyFor

// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(4708);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: external "node:tls"
var external_node_tls_ = __webpack_require__(1692);
;// CONCATENATED MODULE: ./shared/src/http/agents.ts
// HTTP/1.1 exchanges on Node's own http and https modules: kept-alive agents per scheme, a
// CONNECT tunnel through a proxy (for http and https targets alike, the proxy sees only the
// host and port), a connect timeout and an idle timeout. Nothing is followed or retried here,
// and a streamed request body is never buffered.




/** How long a TCP (and TLS) connection may take to open */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long a connection may stay silent while an answer or a body is awaited */
const IDLE_TIMEOUT_MS = 300_000;
/** Kept-alive connections, at most 16 per host; an idle one is closed after 30 s */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 16, maxFreeSockets: 16, timeout: 30_000 };
/** A network failure with the code the retry logic reads (ETIMEDOUT, ECONNRESET...). */
class NetworkError extends Error {
    code;
    constructor(code, message) {
        super(message);
        this.name = 'NetworkError';
        this.code = code;
    }
}
/** `Basic` credentials of a proxy URL (`http://user:pass@proxy:3128`), if it has any. */
function proxyAuthorization(proxy) {
    if (!proxy.username && !proxy.password)
        return undefined;
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    return `Basic ${Buffer.from(credentials).toString('base64')}`;
}
/**
 * Opens a tunnel to host:port through the proxy with CONNECT, then (for https) TLS inside it.
 * Calls back once with the socket to speak HTTP on, or the reason it could not be opened.
 */
function openTunnel(proxy, target, callback) {
    let done = false;
    const finish = (err, stream) => {
        if (done)
            return;
        done = true;
        callback(err, stream);
    };
    const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const headers = { host: authority };
    const auth = proxyAuthorization(proxy);
    if (auth)
        headers['proxy-authorization'] = auth;
    const connect = (proxy.protocol === 'https:' ? external_node_https_.request : external_node_http_.request)({
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
        method: 'CONNECT',
        path: authority,
        headers,
        agent: false,
        timeout: CONNECT_TIMEOUT_MS,
    });
    connect.on('timeout', () => connect.destroy(new NetworkError('ETIMEDOUT', `the proxy did not open a tunnel to ${authority} in time`)));
    connect.on('error', (err) => finish(err));
    connect.on('connect', (res, socket) => {
        connect.setTimeout(0);
        if (res.statusCode !== 200) {
            socket.destroy();
            // 407 and the like are answers, not transient failures: no retryable code
            finish(new Error(`the proxy refused the tunnel to ${authority} (HTTP ${res.statusCode})`));
            return;
        }
        if (!target.tls) {
            finish(null, socket);
            return;
        }
        const secure = (0,external_node_tls_.connect)({ socket, servername: target.servername ?? target.host });
        secure.once('secureConnect', () => finish(null, secure));
        secure.once('error', (err) => finish(err));
    });
    connect.end();
}
/** An agent whose connections are CONNECT tunnels through `proxy`. */
function tunnelAgent(proxy, tls) {
    const Base = tls ? external_node_https_.Agent : external_node_http_.Agent;
    const agent = new Base(AGENT_OPTIONS);
    agent.createConnection = (options, callback) => {
        const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
        const port = Number(options.port) || (tls ? 443 : 80);
        const servername = options.servername;
        openTunnel(proxy, { host, port, tls, servername }, (err, stream) => {
            if (callback)
                callback(err, stream);
        });
        return undefined;
    };
    return agent;
}
/** Agents for direct and tunnelled traffic, kept alive between exchanges; `close` ends them all. */
class HttpAgents {
    direct = { http: new external_node_http_.Agent(AGENT_OPTIONS), https: new external_node_https_.Agent(AGENT_OPTIONS) };
    tunnels = new Map();
    agentFor(url, proxy) {
        const tls = url.protocol === 'https:';
        if (!proxy)
            return tls ? this.direct.https : this.direct.http;
        const key = `${tls ? 'https' : 'http'} ${proxy}`;
        let agent = this.tunnels.get(key);
        if (!agent) {
            agent = tunnelAgent(new URL(proxy), tls);
            this.tunnels.set(key, agent);
        }
        return agent;
    }
    /**
     * One exchange: resolves with the answer as soon as its headers arrive (the body is the
     * caller's to read or discard), even when the server answers before the request body is sent
     * in full (a 413 from a front proxy).
     */
    exchange(req, proxy) {
        const headers = { ...req.headers };
        const body = req.body;
        const has = (name) => Object.keys(headers).some((k) => k.toLowerCase() === name);
        if ((typeof body === 'string' || Buffer.isBuffer(body)) && !has('content-length')) {
            headers['content-length'] = Buffer.byteLength(body);
        }
        else if (body === undefined && /^(POST|PUT|PATCH)$/i.test(req.method) && !has('content-length')) {
            // an empty body is said, not sent as an empty chunked stream
            headers['content-length'] = 0;
        }
        return new Promise((resolve, reject) => {
            let answered = false;
            const send = req.url.protocol === 'https:' ? external_node_https_.request : external_node_http_.request;
            const r = send(req.url, {
                method: req.method,
                headers,
                agent: this.agentFor(req.url, proxy),
                ...(req.signal ? { signal: req.signal } : {}),
            });
            r.setTimeout(IDLE_TIMEOUT_MS, () => r.destroy(new NetworkError('ETIMEDOUT', `no answer from ${req.url.host} for ${IDLE_TIMEOUT_MS / 1000} s`)));
            r.on('socket', (socket) => {
                if (!socket.connecting)
                    return;
                const timer = setTimeout(() => r.destroy(new NetworkError('ETIMEDOUT', `no connection to ${req.url.host} in ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
                const clear = () => clearTimeout(timer);
                socket.once('connect', clear);
                socket.once('close', clear);
            });
            r.on('response', (res) => {
                answered = true;
                if (body instanceof external_node_stream_.Readable && !body.readableEnded) {
                    // an early answer: the rest of the request body is not wanted any more, and the
                    // connection, left in the middle of a request, is closed once the answer is read
                    body.unpipe(r);
                    res.once('close', () => r.destroy());
                }
                resolve(res);
            });
            r.on('error', (err) => {
                // after the answer, a broken pipe of the unsent body is no news
                if (!answered)
                    reject(err);
            });
            if (body instanceof external_node_stream_.Readable) {
                body.on('error', (err) => r.destroy(err));
                body.pipe(r);
            }
            else {
                r.end(body);
            }
        });
    }
    close() {
        this.direct.http.destroy();
        this.direct.https.destroy();
        for (const agent of this.tunnels.values())
            agent.destroy();
        this.tunnels.clear();
    }
}
/** Reads and drops what is left of a body, up to `max` bytes; past that the connection is closed. */
async function discardBody(body, max = 256 * 1024) {
    let size = 0;
    for await (const chunk of body) {
        size += chunk.length;
        if (size > max) {
            body.destroy();
            return;
        }
    }
}

;// CONCATENATED MODULE: ./shared/src/http/transport.ts

const DEFAULT_RETRY = { retries: 4, minDelayMs: 500, maxDelayMs: 30_000 };
/** Statuses worth another attempt: throttling and server-side failures (not 501/505: those are final). */
function isRetryableStatus(status) {
    return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}
const RETRYABLE_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENETUNREACH',
    'EHOSTUNREACH',
    // the same failures as Node's own fetch reports them (in the cause of 'fetch failed')
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
/** A failure of the connection rather than an answer: resets, closed sockets, timeouts. */
function isRetryableNetworkError(err) {
    for (let e = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
        if (e instanceof RetryableStatusError)
            return true;
        const code = e.code;
        if (typeof code === 'string' && RETRYABLE_CODES.has(code))
            return true;
        const message = e.message;
        if (typeof message === 'string' && /^(terminated|other side closed|socket hang up)$|ECONNRESET/i.test(message)) {
            return true;
        }
    }
    return false;
}
/** Thrown inside a retried operation when the registry answered with a retryable status. */
class RetryableStatusError extends Error {
    status;
    retryAfterMs;
    response;
    constructor(status, headers, text, retryAfterMs) {
        super(`HTTP ${status}`);
        this.name = 'RetryableStatusError';
        this.status = status;
        this.retryAfterMs = retryAfterMs;
        this.response = { status, headers, text };
    }
}
/**
 * Retry-After as milliseconds: delay-seconds or an HTTP date (relative to `now`). Undefined when
 * absent or unreadable; 0 for a date in the past.
 */
function parseRetryAfter(value, now = Date.now()) {
    if (value === undefined)
        return undefined;
    const text = value.trim();
    if (/^\d+$/.test(text))
        return Number(text) * 1000;
    if (/^\d+\.\d+$/.test(text))
        return Math.round(Number(text) * 1000);
    if (!/[a-z]/i.test(text))
        return undefined;
    const when = Date.parse(text);
    if (Number.isNaN(when))
        return undefined;
    return Math.max(0, when - now);
}
/**
 * Delay before retry number `attempt` (0-based): exponential from minDelayMs, capped at
 * maxDelayMs, with jitter over the upper half so concurrent clients spread out.
 */
function backoffDelay(attempt, retry, random = Math.random) {
    const ceiling = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** attempt);
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
/**
 * The `rel="next"` target of a Link header, resolved against the request URL:
 * `</v2/r/tags/list?n=100&last=x>; rel="next"` → absolute URL.
 */
function parseLinkNext(value, requestUrl) {
    if (value === undefined)
        return undefined;
    const text = Array.isArray(value) ? value.join(', ') : value;
    // Links are `<uri>; params` separated by commas; a comma may also stand inside a quoted param.
    let i = 0;
    while (i < text.length) {
        const open = text.indexOf('<', i);
        if (open < 0)
            break;
        const close = text.indexOf('>', open);
        if (close < 0)
            break;
        const uri = text.slice(open + 1, close);
        let j = close + 1;
        let quoted = false;
        for (; j < text.length; j++) {
            const ch = text[j];
            if (ch === '"')
                quoted = !quoted;
            else if (ch === '\\' && quoted)
                j++;
            else if (ch === ',' && !quoted)
                break;
        }
        const params = text.slice(close + 1, j);
        i = j + 1;
        const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(params);
        const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
        if (rels.includes('next')) {
            try {
                return new URL(uri, requestUrl).toString();
            }
            catch {
                return undefined;
            }
        }
    }
    return undefined;
}
/** A header's first value. */
function header(headers, name) {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
}
function isLoopback(hostname) {
    const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
/**
 * The proxy for a URL by the usual environment variables (lower case first, as curl does).
 * Loopback hosts always go direct; NO_PROXY holds `*`, host names (`example.com` also covers
 * subdomains, `.example.com` and `*.example.com` only those), `host:port` and IP addresses.
 */
function proxyFor(url, env = process.env) {
    const u = new URL(url);
    const proxy = u.protocol === 'https:' ? env.https_proxy || env.HTTPS_PROXY : env.http_proxy || env.HTTP_PROXY;
    if (!proxy)
        return undefined;
    const hostname = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isLoopback(hostname))
        return undefined;
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '').toLowerCase();
    for (const raw of noProxy.split(/[\s,]+/)) {
        if (raw === '')
            continue;
        if (raw === '*')
            return undefined;
        let entry = raw.replace(/^\*?\./, '.');
        let entryPort;
        const m = /^(.*?)(?::(\d+))?$/.exec(entry);
        if (m && !entry.includes('::')) {
            entry = m[1] ?? entry;
            entryPort = m[2];
        }
        entry = entry.replace(/^\[|\]$/g, '');
        if (entryPort && entryPort !== port)
            continue;
        if (entry.startsWith('.')) {
            if (hostname.endsWith(entry))
                return undefined;
        }
        else if (hostname === entry || hostname.endsWith(`.${entry}`)) {
            return undefined;
        }
    }
    return proxy;
}
const sleepReal = (ms) => new Promise((r) => setTimeout(r, ms));
class Transport {
    agents = new HttpAgents();
    env;
    userAgent;
    retry;
    retryAfterCapMs;
    logger;
    sleep;
    count = 0;
    constructor(options = {}) {
        this.env = options.env ?? process.env;
        this.userAgent = options.userAgent ?? 'container-image-actions';
        this.retry = {
            ...DEFAULT_RETRY,
            ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)),
        };
        this.retryAfterCapMs = options.retryAfterCapMs ?? 60_000;
        this.logger = options.logger;
        this.sleep = options.sleep ?? sleepReal;
    }
    requestCount() {
        return this.count;
    }
    /** One HTTP exchange, no retry, no redirect following. The caller consumes or discards the body. */
    async send(req) {
        this.count++;
        const headers = { 'user-agent': this.userAgent, ...(req.headers ?? {}) };
        const res = await this.agents.exchange({ method: req.method, url: new URL(req.url), headers, body: req.body, signal: req.signal }, proxyFor(req.url, this.env));
        return { status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url };
    }
    /**
     * Runs `attempt` until it succeeds, a non-retryable error comes, or the retries are spent.
     * A retryable status is signalled by throwing RetryableStatusError (see `retryableStatus`).
     */
    async retrying(operation, attempt) {
        for (let n = 0;; n++) {
            try {
                return await attempt(n);
            }
            catch (err) {
                if (n >= this.retry.retries || !isRetryableNetworkError(err))
                    throw err;
                let delay = backoffDelay(n, this.retry);
                if (err instanceof RetryableStatusError && err.retryAfterMs !== undefined) {
                    delay = Math.min(Math.max(delay, err.retryAfterMs), this.retryAfterCapMs);
                }
                const why = err instanceof RetryableStatusError ? `HTTP ${err.status}` : describeNetworkError(err);
                this.logger?.debug(`${operation}: ${why}; retry ${n + 1}/${this.retry.retries} in ${delay} ms`);
                await this.sleep(delay);
            }
        }
    }
    /** Reads (bounded) and throws a RetryableStatusError when the response status is worth a retry. */
    async throwIfRetryable(res) {
        if (!isRetryableStatus(res.status))
            return;
        const text = await readText(res, 64 * 1024);
        throw new RetryableStatusError(res.status, res.headers, text, parseRetryAfter(header(res.headers, 'retry-after')));
    }
    async close() {
        this.agents.close();
    }
}
/** A network error in a few words, without anything a server sent. */
function describeNetworkError(err) {
    const parts = [];
    for (let e = err, depth = 0; e && depth < 4; e = e.cause, depth++) {
        const code = e.code;
        const message = e.message;
        const text = [typeof code === 'string' ? code : '', typeof message === 'string' ? message : '']
            .filter(Boolean)
            .join(' ');
        if (text && !parts.includes(text))
            parts.push(text);
    }
    return parts.join(': ') || String(err);
}
/** The body as text, at most `max` bytes (the rest is discarded). */
async function readText(res, max = 1024 * 1024) {
    const chunks = [];
    let size = 0;
    try {
        for await (const chunk of res.body) {
            const b = chunk;
            if (size < max)
                chunks.push(b.subarray(0, max - size));
            size += b.length;
        }
    }
    catch {
        // a body cut short still says what it said so far
    }
    return Buffer.concat(chunks).toString('utf8');
}
/** Drops what is left of a response's body; a body that breaks off just means the connection is not reused. */
async function discardResponse(res) {
    try {
        await discardBody(res.body);
    }
    catch {
        // the connection is dropped instead of reused; nothing else to do
    }
}


/***/ })

};
