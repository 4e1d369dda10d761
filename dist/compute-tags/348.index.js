export const id = 348;
export const ids = [348];
export const modules = {

/***/ 348:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  RegistryClient: () => (/* binding */ RegistryClient)
});

// UNUSED EXPORTS: RegistryError, formatPlatform, indexManifests, parseOciError, toDescriptor

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ./shared/src/errors.ts
var errors = __webpack_require__(3904);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
;// CONCATENATED MODULE: ./shared/src/registries/docker-config.ts
// The docker CLI's config.json: where it lives, writing credentials into it atomically while
// leaving every other entry alone, and undoing exactly that write later. Docker, buildx,
// buildah, skopeo and our own registry client all read this file, so one login serves them all.
//
// Undo without secrets in step state: before writing, the original bytes and the entries we
// replace go to a backup file (mode 0600) in a private temporary directory; state only needs
// the returned LoginRecord (paths and key names).





/** `config-dir` input, else DOCKER_CONFIG, else ~/.docker (the docker CLI's own order). */
function resolveConfigDir(configDir, env = process.env) {
    if (configDir)
        return configDir.replace(/^~(?=$|\/)/, (0,external_node_os_.homedir)());
    if (env.DOCKER_CONFIG)
        return env.DOCKER_CONFIG;
    return (0,external_node_path_.join)(env.HOME || (0,external_node_os_.homedir)(), '.docker');
}
function configFilePath(configDir) {
    return join(configDir, 'config.json');
}
function encodeAuth(username, password) {
    return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}
/** The auths entry the docker CLI writes for a basic login. */
function authEntry(username, password) {
    return { auth: encodeAuth(username, password) };
}
async function readIfExists(file) {
    try {
        return await readFile(file);
    }
    catch (err) {
        if (err.code === 'ENOENT')
            return undefined;
        throw new OperationError(`reading the docker config ${file}`, err.message, { cause: err });
    }
}
function parseConfig(bytes, file) {
    if (!bytes || bytes.toString('utf8').trim() === '')
        return {};
    try {
        const value = JSON.parse(bytes.toString('utf8'));
        if (value === null || typeof value !== 'object' || Array.isArray(value))
            throw new Error('not a JSON object');
        return value;
    }
    catch (err) {
        // The parser's message may quote file content, which can hold credentials.
        const why = err instanceof SyntaxError ? 'it is not valid JSON' : err.message;
        throw new errors/* OperationError */.OK(`reading the docker config ${file}`, `${why}; fix or remove the file`);
    }
}
async function readConfig(configDir) {
    const file = configFilePath(configDir);
    return parseConfig(await readIfExists(file), file);
}
/** Tab-indented like the docker CLI, so the file looks as if `docker login` had written it. */
function serializeConfig(config) {
    return Buffer.from(JSON.stringify(config, null, '\t'), 'utf8');
}
/**
 * Writes through a temporary file in the same directory and a rename, so a reader sees the old
 * or the new file, never half of one. The file is created 0600 (it holds credentials).
 */
async function writeFileAtomic(file, bytes, mode = 0o600) {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
        const handle = await open(temp, 'wx', mode);
        try {
            await handle.writeFile(bytes);
            await handle.sync();
        }
        finally {
            await handle.close();
        }
        await chmod(temp, mode);
        await rename(temp, file);
    }
    catch (err) {
        await rm(temp, { force: true });
        throw new OperationError(`writing ${file}`, err.message, { cause: err });
    }
}
function sha256(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
}
function sameEntry(a, b) {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(value) {
    if (Array.isArray(value))
        return value.map(sortKeys);
    if (value && typeof value === 'object') {
        return Object.fromEntries(Object.keys(value)
            .sort()
            .map((k) => [k, sortKeys(value[k])]));
    }
    return value;
}
/**
 * Merges the logins into config.json: our keys are set, everything else stays as it was. Returns
 * what `undoLogins` needs. The previous content is kept in a 0600 backup file, never returned.
 */
async function writeLogins(options) {
    const configFile = configFilePath(options.configDir);
    const original = await readIfExists(configFile);
    const config = parseConfig(original, configFile);
    let originalMode = null;
    if (original)
        originalMode = (await stat(configFile)).mode & 0o7777;
    const auths = { ...(config.auths ?? {}) };
    const previous = {};
    const ours = {};
    for (const login of options.logins) {
        if (!(login.key in previous))
            previous[login.key] = config.auths?.[login.key] ?? null;
        const entry = authEntry(login.username, login.password);
        auths[login.key] = entry;
        ours[login.key] = entry;
    }
    const written = serializeConfig({ ...config, auths });
    await mkdir(options.backupDir, { recursive: true });
    const backupFolder = await mkdtemp(join(options.backupDir, 'registry-login-'));
    await chmod(backupFolder, 0o700);
    const backupFile = join(backupFolder, 'backup.json');
    const backup = {
        version: 1,
        configFile,
        original: original ? original.toString('base64') : null,
        originalMode,
        writtenSha256: sha256(written),
        previous,
        ours,
    };
    await writeFileAtomic(backupFile, Buffer.from(JSON.stringify(backup)), 0o600);
    await writeFileAtomic(configFile, written, 0o600);
    return { configFile, backupFile, keys: Object.keys(ours) };
}
/**
 * Undoes `writeLogins`. When the file is still exactly what we wrote, the original bytes (and
 * mode) come back, or the file goes when there was none. When another step changed the file in
 * between, only our keys are undone and its changes stay.
 */
async function undoLogins(record) {
    const backupBytes = await readIfExists(record.backupFile);
    if (!backupBytes) {
        throw new OperationError(`restoring the docker config ${record.configFile}`, `the backup ${record.backupFile} is gone, so the credentials written by the main step were left in place`);
    }
    const backup = JSON.parse(backupBytes.toString('utf8'));
    const result = { restoredExactly: false, restored: [], removed: [], keptChangedByOthers: [] };
    const current = await readIfExists(record.configFile);
    if (current && sha256(current) === backup.writtenSha256) {
        if (backup.original === null) {
            await unlink(record.configFile);
        }
        else {
            await writeFileAtomic(record.configFile, Buffer.from(backup.original, 'base64'), backup.originalMode ?? 0o600);
        }
        result.restoredExactly = true;
        for (const key of record.keys)
            (backup.previous[key] ? result.restored : result.removed).push(key);
    }
    else if (current) {
        const config = parseConfig(current, record.configFile);
        const auths = { ...(config.auths ?? {}) };
        for (const key of record.keys) {
            if (!(key in auths) || !sameEntry(auths[key], backup.ours[key])) {
                if (key in auths)
                    result.keptChangedByOthers.push(key);
                continue;
            }
            const before = backup.previous[key];
            if (before) {
                auths[key] = before;
                result.restored.push(key);
            }
            else {
                delete auths[key];
                result.removed.push(key);
            }
        }
        if (result.restored.length + result.removed.length > 0) {
            await writeFileAtomic(record.configFile, serializeConfig({ ...config, auths }), 0o600);
        }
    }
    await rm(dirname(record.backupFile), { recursive: true, force: true });
    return result;
}
/**
 * A Kubernetes `.dockerconfigjson` document (the data of a `kubernetes.io/dockerconfigjson`
 * image pull secret) for the logins, written 0600 to `file`.
 */
async function writeDockerConfigJson(file, logins) {
    const auths = {};
    for (const l of logins) {
        auths[l.key] = { username: l.username, password: l.password, auth: encodeAuth(l.username, l.password) };
    }
    await writeFileAtomic(file, Buffer.from(JSON.stringify({ auths })), 0o600);
}
/** Why the docker CLI may not use an `auths` entry for this key: a credential helper or store takes precedence. */
function credentialOverride(config, key) {
    const helper = config.credHelpers?.[key];
    if (helper)
        return `credHelpers maps ${key} to docker-credential-${helper}`;
    if (config.credsStore)
        return `credsStore is set to docker-credential-${config.credsStore}`;
    return undefined;
}

// EXTERNAL MODULE: ./shared/src/oci/reference.ts
var oci_reference = __webpack_require__(4704);
;// CONCATENATED MODULE: ./shared/src/registries/hosts.ts
// Registry hosts: normalising what users type as a registry, telling which cloud or service
// runs it from the host name alone, and the key the docker CLI files its credentials under.


const PROVIDERS = (/* unused pure expression or super */ null && (['basic', 'ghcr', 'dockerhub', 'ecr', 'ecr-public', 'gar', 'acr']));
/** The key the docker CLI uses for Docker Hub in config.json `auths`. */
const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([
    '',
    'docker.io',
    'index.docker.io',
    'registry-1.docker.io',
    'registry.hub.docker.com',
    'hub.docker.com',
]);
/**
 * `https://ghcr.io/`, `GHCR.IO`, `ghcr.io/owner` → `ghcr.io`; every Docker Hub spelling (and
 * empty) → `docker.io`. Only the host[:port] is kept; a path is dropped, as `docker login` does.
 */
function normalizeRegistry(text, input = 'registry') {
    let value = (text ?? '').trim();
    if (value === 'https://index.docker.io/v1/' || value === 'https://index.docker.io/v1')
        return 'docker.io';
    value = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const host = (value.split('/')[0] ?? '').toLowerCase();
    if (DOCKER_HUB_ALIASES.has(host))
        return 'docker.io';
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/.test(host)) {
        const quoted = stripUserinfo(text ?? '');
        if (quoted !== text) {
            throw new ConfigurationError(`'${quoted}' carries credentials in the URL: give the registry host alone and the credentials as username and password`, input);
        }
        throw new ConfigurationError(`'${text}' is not a registry host (expected a host name with an optional port, such as ghcr.io, 123456789012.dkr.ecr.eu-west-1.amazonaws.com or 127.0.0.1:5000)`, input);
    }
    return host;
}
/** The key under which the docker CLI (and every tool reading its config) looks the registry up. */
function dockerConfigKey(registry) {
    return registry === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : registry;
}
// Private ECR: <account>.dkr.ecr[-fips].<region>.<partition suffix>, and the dual-stack
// <account>.dkr-ecr[-fips].<region>.on.aws.
const ECR_HOST = /^(\d{12})\.(dkr\.ecr|dkr-ecr)(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(amazonaws\.com(?:\.cn)?|on\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;
function parseEcrHost(registry) {
    const m = ECR_HOST.exec(registry);
    if (!m)
        return undefined;
    return { accountId: m[1], fips: Boolean(m[3]), region: m[4], dnsSuffix: m[5] };
}
function ecrHost(accountId, region, options = {}) {
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return `${accountId}.dkr.ecr${options.fips ? '-fips' : ''}.${region}.${suffix}`;
}
const ECR_PUBLIC_HOST = 'public.ecr.aws';
/** The provider a registry host belongs to; any other host is a plain v2 registry (`basic`). */
function detectProvider(registry) {
    const host = registry.replace(/:\d+$/, '');
    if (registry === 'docker.io')
        return 'dockerhub';
    if (host === 'ghcr.io')
        return 'ghcr';
    if (host === ECR_PUBLIC_HOST)
        return 'ecr-public';
    if (parseEcrHost(host))
        return 'ecr';
    if (host === 'gcr.io' || host.endsWith('.gcr.io') || host.endsWith('-docker.pkg.dev'))
        return 'gar';
    if (host.endsWith('.azurecr.io') || host.endsWith('.azurecr.cn') || host.endsWith('.azurecr.us'))
        return 'acr';
    return 'basic';
}
/** True for hosts on the loopback interface, which registries and docker reach over plain HTTP. */
function isLoopbackHost(registry) {
    const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
/** The base URL of a registry's HTTP API: plain HTTP on loopback, HTTPS elsewhere. */
function registryBaseUrl(registry) {
    if (registry === 'docker.io')
        return 'https://registry-1.docker.io';
    return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}`;
}
/** A URL for a message: origin and path, never userinfo or query (either may be a credential). */
function urlText(url) {
    return `${url.protocol}//${url.host}${url.pathname}`;
}
/**
 * Why credentials must not be sent to a token realm a registry named, or undefined when they
 * may: the realm must be an http(s) URL, and https unless the registry is plain http on loopback.
 */
function realmProblem(registryOrigin, realm) {
    let url;
    try {
        url = new URL(realm);
    }
    catch {
        return 'the registry named a token realm that is not a URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return `the registry named a token realm that is not http(s) (${url.protocol})`;
    }
    if (url.protocol === 'http:') {
        const registry = new URL(registryOrigin);
        if (registry.protocol !== 'http:' || !isLoopbackHost(registry.hostname)) {
            return `the registry named the plain-http token realm ${urlText(url)}: credentials would travel unencrypted, so no token is asked for (a plain-http realm is accepted only for a plain-http registry on this machine)`;
        }
    }
    return undefined;
}

;// CONCATENATED MODULE: ./shared/src/oci/credentials.ts
// Where the registry client gets credentials: explicit ones handed over by an action, and the
// docker CLI's config.json (what registry-login and `docker login` write), including credential
// helpers (`docker-credential-<name> get`). Providers only look up; the client masks every secret
// it receives the moment a provider returns it.





/** True when the credential carries anything usable. */
function hasSecret(credential) {
    return Boolean(credential && (credential.password || credential.identityToken || credential.registryToken));
}
/** Every secret a credential holds, for masking. */
function credentialSecrets(credential) {
    if (!credential)
        return [];
    return [credential.password, credential.identityToken, credential.registryToken].filter((s) => typeof s === 'string' && s !== '');
}
/** Credentials given explicitly, keyed by registry host (Docker Hub spellings are all accepted). */
function staticCredentials(map) {
    const byHost = new Map();
    for (const [key, value] of Object.entries(map))
        byHost.set(configKeyHost(key), value);
    return async (registry) => byHost.get(configKeyHost(registry));
}
/** The first provider that knows the registry wins. */
function chainCredentials(...providers) {
    return async (registry) => {
        for (const provider of providers) {
            const found = await provider(registry);
            if (hasSecret(found))
                return found;
        }
        return undefined;
    };
}
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/**
 * The registry host a config.json key stands for: `https://index.docker.io/v1/` → docker.io,
 * `https://ghcr.io` → ghcr.io, `Registry.Example.com:5000/v2/` → registry.example.com:5000.
 * The docker CLI matches keys the same way (scheme and path ignored).
 */
function configKeyHost(key) {
    const host = (key
        .trim()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
        .split('/')[0] ?? '').toLowerCase();
    return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}
/** Decodes an `auths` entry. The `auth` field is base64 of `user:password`, split at the first colon. */
function entryCredential(entry) {
    if (!entry || typeof entry !== 'object')
        return undefined;
    const credential = {};
    if (typeof entry.auth === 'string' && entry.auth !== '') {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
            credential.username = decoded.slice(0, colon);
            credential.password = decoded.slice(colon + 1);
        }
    }
    if (typeof entry.username === 'string' && entry.username !== '')
        credential.username = entry.username;
    if (typeof entry.password === 'string' && entry.password !== '')
        credential.password = entry.password;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
        credential.identityToken = entry.identitytoken;
    }
    if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') {
        credential.registryToken = entry.registrytoken;
    }
    return hasSecret(credential) ? credential : undefined;
}
/** The `auths` entry for a registry, whatever spelling (scheme, path, case) its key uses. */
function findAuthEntry(config, registry) {
    const auths = config.auths ?? {};
    const exact = auths[dockerConfigKey(registry)] ?? auths[registry];
    if (exact)
        return exact;
    const wanted = configKeyHost(registry);
    for (const [key, entry] of Object.entries(auths))
        if (configKeyHost(key) === wanted)
            return entry;
    return undefined;
}
/** The helper name config.json assigns to a registry: `credHelpers` first, then `credsStore`. */
function helperFor(config, registry) {
    const helpers = config.credHelpers ?? {};
    const wanted = configKeyHost(registry);
    for (const [key, name] of Object.entries(helpers))
        if (configKeyHost(key) === wanted && name)
            return name;
    return config.credsStore || undefined;
}
/**
 * Runs `docker-credential-<name> get` with the server URL on stdin (the protocol of
 * docker-credential-helpers). Undefined when the helper has nothing for the server. The helper's
 * output is never quoted in errors: it carries the secret.
 */
function runCredentialHelper(name, serverUrl, env = process.env) {
    const program = `docker-credential-${name}`;
    const operation = `getting credentials for ${serverUrl} from ${program}`;
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_.spawn)(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        const err = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => err.push(d));
        child.on('error', (e) => {
            clearTimeout(timer);
            const why = e.code === 'ENOENT' ? `'${program}' is not installed or not on PATH` : e.message;
            reject(new errors/* OperationError */.OK(operation, why));
        });
        child.on('close', (code) => {
            clearTimeout(timer);
            const stdout = Buffer.concat(out).toString('utf8').trim();
            if (code !== 0) {
                // The helpers print this (on stdout) when they hold nothing for the server.
                if (/credentials not found/i.test(stdout) || /credentials not found/i.test(Buffer.concat(err).toString())) {
                    resolve(undefined);
                    return;
                }
                reject(new errors/* OperationError */.OK(operation, `the helper exited with code ${code}`));
                return;
            }
            let answer;
            try {
                answer = JSON.parse(stdout);
            }
            catch {
                reject(new errors/* OperationError */.OK(operation, 'the helper did not print a JSON object'));
                return;
            }
            if (!answer.Secret) {
                resolve(undefined);
                return;
            }
            // By the helpers' convention the user name `<token>` marks an identity (refresh) token.
            if (answer.Username === '<token>')
                resolve({ identityToken: answer.Secret });
            else
                resolve({ username: answer.Username, password: answer.Secret });
        });
        child.stdin.on('error', () => { });
        child.stdin.end(serverUrl);
    });
}
/**
 * Credentials from the docker config, looked up the way the docker CLI does: a `credHelpers`
 * entry for the registry, else `credsStore`, else the `auths` entry. When a helper holds nothing
 * the `auths` entry is still tried (registry-login writes there even where a store is set).
 * The file is read on first use and kept; helper answers are kept per registry.
 */
function dockerConfigCredentials(options = {}) {
    const env = options.env ?? process.env;
    let config;
    const answers = new Map();
    const load = () => {
        config ??= (async () => {
            const file = `${resolveConfigDir(options.configDir, env)}/config.json`;
            let bytes;
            try {
                bytes = await (0,promises_.readFile)(file);
            }
            catch (err) {
                if (err.code !== 'ENOENT') {
                    throw new errors/* OperationError */.OK(`reading the docker config ${file}`, err.message);
                }
            }
            return parseConfig(bytes, file);
        })();
        return config;
    };
    return (registry) => {
        let answer = answers.get(registry);
        if (!answer) {
            answer = (async () => {
                const cfg = await load();
                const helper = helperFor(cfg, registry);
                if (helper) {
                    const serverUrl = registry === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : registry;
                    const fromHelper = await runCredentialHelper(helper, serverUrl, env);
                    if (hasSecret(fromHelper))
                        return fromHelper;
                }
                return entryCredential(findAuthEntry(cfg, registry));
            })();
            answers.set(registry, answer);
        }
        return answer;
    };
}

// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(4708);
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

;// CONCATENATED MODULE: ./shared/src/oci/transport.ts
// The registry client's view of the shared HTTP transport (../http/transport.ts), plus the
// error a failed registry call becomes.


/** A registry call that failed: what was done, to which reference, the HTTP status and the registry's error code. */
class RegistryError extends errors/* OperationError */.OK {
    status;
    /** the first OCI error code of the response body (MANIFEST_UNKNOWN, DENIED, ...) */
    code;
    constructor(operation, detail, options = {}) {
        super(operation, detail, { cause: options.cause });
        this.name = 'RegistryError';
        this.status = options.status;
        this.code = options.code;
    }
}

;// CONCATENATED MODULE: ./shared/src/oci/auth.ts
// Registry authentication: reading WWW-Authenticate challenges, basic auth, and the bearer token
// flow (GET with basic credentials or anonymously; POST with a refresh token for identity
// tokens). Tokens are cached per registry and scope set until shortly before they expire, and a
// token that covers more scopes serves a request that needs fewer, so a cached token means no
// extra round trip. Every secret is handed to maskSecret as soon as it is known.
//
// Credentials go only where the registry itself is: a challenge is answered only when it came
// from the registry's own origin (not from a host a Link or redirect led to), and a token realm
// must be https unless the registry itself is plain http on this machine (loopback).




/** The origin a registry is reached at by default: http on loopback hosts, https elsewhere. */
function defaultRegistryOrigin(registry) {
    return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}`;
}
/**
 * Parses WWW-Authenticate (RFC 7235): several challenges, quoted values with escapes, commas
 * inside quotes (`scope="repository:a:pull,push"`).
 */
function parseWwwAuthenticate(value) {
    if (value === undefined)
        return [];
    const text = Array.isArray(value) ? value.join(', ') : value;
    const challenges = [];
    let i = 0;
    const skip = (re) => {
        while (i < text.length && re.test(text[i]))
            i++;
    };
    while (i < text.length) {
        skip(/[\s,]/);
        const schemeMatch = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(text.slice(i));
        if (!schemeMatch)
            break;
        const challenge = { scheme: schemeMatch[0].toLowerCase(), params: {} };
        i += schemeMatch[0].length;
        challenges.push(challenge);
        // parameters: name=value pairs until the next token that is not followed by '='
        for (;;) {
            const save = i;
            skip(/[\s,]/);
            const nameMatch = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(text.slice(i));
            if (!nameMatch) {
                // token68 (`Basic abc==`) or the next challenge's scheme
                const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(text.slice(i));
                if (token68 && Object.keys(challenge.params).length === 0 && i > save) {
                    i += token68[0].length;
                    continue;
                }
                i = save;
                break;
            }
            i += nameMatch[0].length;
            const name = nameMatch[1].toLowerCase();
            let val = '';
            if (text[i] === '"') {
                i++;
                while (i < text.length && text[i] !== '"') {
                    if (text[i] === '\\' && i + 1 < text.length)
                        i++;
                    val += text[i];
                    i++;
                }
                i++;
            }
            else {
                const m = /^[^,\s]*/.exec(text.slice(i));
                val = m ? m[0] : '';
                i += val.length;
            }
            challenge.params[name] = val;
        }
    }
    return challenges;
}
/**
 * Merges scopes, joining the actions asked for one resource:
 * `repository:a:pull` + `repository:a:push` → `repository:a:pull,push`. Sorted, so equal sets
 * give equal cache keys.
 */
function mergeScopes(scopes) {
    const byResource = new Map();
    for (const scope of scopes) {
        for (const one of scope.split(' ')) {
            const at = one.lastIndexOf(':');
            if (at <= 0)
                continue;
            const resource = one.slice(0, at);
            const actions = byResource.get(resource) ?? new Set();
            for (const a of one.slice(at + 1).split(','))
                if (a)
                    actions.add(a);
            byResource.set(resource, actions);
        }
    }
    return [...byResource.entries()].map(([r, a]) => `${r}:${[...a].sort().join(',')}`).sort();
}
/** Whether a token granted for `have` was asked for everything in `need`. */
function scopesCover(have, need) {
    const granted = new Map();
    for (const s of mergeScopes(have)) {
        const at = s.lastIndexOf(':');
        granted.set(s.slice(0, at), new Set(s.slice(at + 1).split(',')));
    }
    for (const s of mergeScopes(need)) {
        const at = s.lastIndexOf(':');
        const actions = granted.get(s.slice(0, at));
        if (!actions)
            return false;
        if (actions.has('*'))
            continue;
        for (const a of s.slice(at + 1).split(','))
            if (!actions.has(a))
                return false;
    }
    return true;
}
function repositoryScope(repository, actions) {
    return `repository:${repository}:${actions}`;
}
class AuthError extends RegistryError {
    failure;
    constructor(operation, detail, failure, status) {
        super(operation, detail, { status });
        this.name = 'AuthError';
        this.failure = failure;
    }
}
/** Tokens are dropped this long before they expire, so none runs out in flight. */
const EXPIRY_MARGIN_MS = 15_000;
/** What the token spec says to assume when the server names no lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;
class Authenticator {
    transport;
    provider;
    mask;
    logger;
    now;
    registryOrigin;
    states = new Map();
    tokens = new Map();
    inflight = new Map();
    credentialCache = new Map();
    /** every secret seen, so error texts can be scrubbed as a last line of defence */
    secrets = new Set();
    constructor(options) {
        this.transport = options.transport;
        this.provider = options.credentials;
        this.logger = options.logger;
        this.now = options.now ?? Date.now;
        this.registryOrigin = options.registryOrigin ?? defaultRegistryOrigin;
        this.mask = (secret) => {
            if (!secret || this.secrets.has(secret))
                return;
            this.secrets.add(secret);
            options.maskSecret?.(secret);
        };
    }
    /** The credential for a registry (looked up once, secrets masked). */
    credential(registry) {
        let found = this.credentialCache.get(registry);
        if (!found) {
            found = this.provider(registry).then((c) => {
                for (const s of credentialSecrets(c))
                    this.mask(s);
                if (c?.username && c.password)
                    this.mask(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
                return hasSecret(c) ? c : undefined;
            });
            this.credentialCache.set(registry, found);
        }
        return found;
    }
    /** The scheme learnt for a registry, when a challenge (or its absence) has shown it. */
    scheme(registry) {
        return this.states.get(registry)?.scheme;
    }
    /** Records that the registry answered without asking for credentials. */
    markAnonymous(registry) {
        if (!this.states.has(registry))
            this.states.set(registry, { scheme: 'none' });
    }
    /**
     * The Authorization header for a request needing `scopes`, from what is known already: basic
     * credentials, or a cached token (fetching a new one when the registry's realm is known).
     * Undefined when nothing is known yet (the request goes out anonymously and meets the challenge).
     */
    async authorize(registry, scopes) {
        const state = this.states.get(registry);
        if (!state || state.scheme === 'none')
            return undefined;
        if (state.scheme === 'basic')
            return this.basicHeader(registry);
        const token = await this.token(registry, state, mergeScopes(scopes), false);
        return `Bearer ${token.token}`;
    }
    /**
     * Answers a 401: learns the challenge and returns the header to retry with. `rejected` is the
     * header the registry just refused: a token equal to it is not handed out again.
     * `responseUrl` is where the 401 came from: a challenge from any other origin than the
     * registry's (a host a Link or a redirect led to) is refused, never answered with its credentials.
     */
    async challenge(registry, wwwAuthenticate, scopes, rejected, responseUrl) {
        if (responseUrl !== undefined) {
            const from = new URL(responseUrl);
            if (from.origin !== new URL(this.registryOrigin(registry)).origin) {
                throw new AuthError(`authenticating to ${registry}`, `${from.host}, which is not ${registry} itself, asked for credentials (HTTP 401); the credentials of ${registry} are sent to ${registry} only`, 'token-server', 401);
            }
        }
        const challenges = parseWwwAuthenticate(wwwAuthenticate);
        const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
        if (bearer) {
            const state = { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
            this.states.set(registry, state);
            const wanted = mergeScopes([...scopes, ...(bearer.params.scope ? [bearer.params.scope] : [])]);
            const force = rejected !== undefined;
            const token = await this.token(registry, state, wanted, force);
            return `Bearer ${token.token}`;
        }
        if (challenges.some((c) => c.scheme === 'basic')) {
            this.states.set(registry, { scheme: 'basic' });
            return this.basicHeader(registry);
        }
        throw new AuthError(`authenticating to ${registry}`, `the registry answered 401 with an authentication scheme this client does not speak (${challenges.map((c) => c.scheme).join(', ') || 'no WWW-Authenticate header'})`, 'token-server', 401);
    }
    async basicHeader(registry) {
        const c = await this.credential(registry);
        if (!c?.username || !c.password) {
            throw new AuthError(`authenticating to ${registry}`, `${registry} asks for a username and password and none were found (log in with registry-login or docker login, or pass credentials)`, 'no-credentials', 401);
        }
        const encoded = Buffer.from(`${c.username}:${c.password}`).toString('base64');
        this.mask(encoded);
        return `Basic ${encoded}`;
    }
    /** Whether a credential was used for this registry's tokens or basic auth. */
    async hasCredential(registry) {
        return (await this.credential(registry)) !== undefined;
    }
    cached(registry, scopes) {
        const now = this.now();
        const list = (this.tokens.get(registry) ?? []).filter((t) => t.refreshAt > now);
        this.tokens.set(registry, list);
        return list.find((t) => scopesCover(t.scopes, scopes));
    }
    async token(registry, state, scopes, force) {
        if (!force) {
            const hit = this.cached(registry, scopes);
            if (hit)
                return hit;
        }
        const key = `${registry} ${scopes.join(' ')} ${force ? 'force' : ''}`;
        let pending = this.inflight.get(key);
        if (!pending) {
            pending = this.fetchToken(registry, state, scopes).finally(() => this.inflight.delete(key));
            this.inflight.set(key, pending);
        }
        return pending;
    }
    async fetchToken(registry, state, scopes) {
        const credential = await this.credential(registry);
        const operation = `getting a token for ${registry} (${scopes.join(' ') || 'no scope'})`;
        const issued = this.now();
        if (credential?.registryToken) {
            return this.remember(registry, { scopes, token: credential.registryToken, refreshAt: Number.POSITIVE_INFINITY });
        }
        const realm = state.realm;
        const problem = realmProblem(this.registryOrigin(registry), realm);
        if (problem)
            throw new AuthError(operation, problem, 'token-server');
        const realmUrl = new URL(realm);
        let body;
        if (credential?.identityToken) {
            body = await this.postRefreshToken(operation, registry, realmUrl, state.service, scopes, credential);
        }
        body ??= await this.getToken(operation, registry, realmUrl, state.service, scopes, credential);
        const token = body.token || body.access_token;
        if (!token)
            throw new AuthError(operation, 'the token server answered without a token', 'token-server');
        this.mask(token);
        if (body.refresh_token)
            this.mask(body.refresh_token);
        const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
        const lifetime = seconds * 1000;
        // A short-lived token is still used for most of its life rather than refetched at once.
        const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 4);
        this.logger?.debug(`${registry}: token for ${scopes.join(' ') || '(no scope)'} valid ${seconds} s`);
        return this.remember(registry, { scopes, token, refreshAt: issued + lifetime - margin });
    }
    remember(registry, token) {
        const list = this.tokens.get(registry) ?? [];
        list.unshift(token);
        this.tokens.set(registry, list.slice(0, 32));
        return token;
    }
    async getToken(operation, registry, realm, service, scopes, credential) {
        const url = new URL(realm.toString());
        if (service)
            url.searchParams.set('service', service);
        for (const s of scopes)
            url.searchParams.append('scope', s);
        const headers = { accept: 'application/json' };
        const username = credential?.username;
        const password = credential?.password ?? credential?.identityToken;
        if (password) {
            if (username)
                url.searchParams.set('account', username);
            const encoded = Buffer.from(`${username ?? '<token>'}:${password}`).toString('base64');
            this.mask(encoded);
            headers.authorization = `Basic ${encoded}`;
        }
        return this.tokenExchange(operation, registry, { method: 'GET', url: url.toString(), headers }, Boolean(password));
    }
    /** The OAuth2 refresh-token grant; undefined when the server has no POST endpoint (fall back to GET). */
    async postRefreshToken(operation, registry, realm, service, scopes, credential) {
        const form = new URLSearchParams();
        form.set('grant_type', 'refresh_token');
        form.set('refresh_token', credential.identityToken);
        form.set('client_id', 'container-image-actions');
        if (service)
            form.set('service', service);
        if (scopes.length > 0)
            form.set('scope', scopes.join(' '));
        try {
            return await this.tokenExchange(operation, registry, {
                method: 'POST',
                url: realm.toString(),
                headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
                body: form.toString(),
            }, true);
        }
        catch (err) {
            if (err instanceof AuthError && (err.status === 404 || err.status === 405))
                return undefined;
            throw err;
        }
    }
    async tokenExchange(operation, registry, req, withCredentials) {
        return this.transport.retrying(operation, async () => {
            const res = await this.transport.send(req);
            await this.transport.throwIfRetryable(res);
            const text = await readText(res, 1024 * 1024);
            if (res.status === 200) {
                try {
                    return JSON.parse(text);
                }
                catch {
                    throw new AuthError(operation, 'the token server did not answer with JSON', 'token-server', res.status);
                }
            }
            // The token server's body is not quoted: some echo the request, credentials included.
            if (res.status === 401 || res.status === 403) {
                throw withCredentials
                    ? new AuthError(operation, `authentication failed for ${registry}: check the username/password (token server answered HTTP ${res.status})`, 'credentials-rejected', res.status)
                    : new AuthError(operation, `${registry} requires authentication and no credentials were found (log in with registry-login or docker login, or pass credentials; token server answered HTTP ${res.status})`, 'no-credentials', res.status);
            }
            const ct = header(res.headers, 'content-type') ?? '';
            throw new AuthError(operation, `the token server answered HTTP ${res.status}${ct.includes('json') ? '' : ` (${ct || 'no content type'})`}`, 'token-server', res.status);
        });
    }
}

;// CONCATENATED MODULE: ./shared/src/oci/digest.ts
// Content digests: computing them for bytes and streams, and checking a stream against the
// digest it should have while it passes through, so nothing unverified is taken for a blob.


function digestAlgorithm(digest) {
    return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}
/** `sha256:<hex>` of the bytes (or the algorithm the expected digest uses). */
function digestOf(bytes, algorithm = 'sha256') {
    return `${algorithm}:${(0,external_node_crypto_.createHash)(algorithm).update(bytes).digest('hex')}`;
}
/** Whether the bytes have this digest, in whichever algorithm it names. */
function matchesDigest(bytes, digest) {
    return digestOf(bytes, digestAlgorithm(digest)) === digest;
}
class DigestMismatchError extends Error {
    expected;
    actual;
    constructor(expected, actual, what = 'content') {
        super(`${what} has digest ${actual}, expected ${expected}`);
        this.name = 'DigestMismatchError';
        this.expected = expected;
        this.actual = actual;
    }
}
class SizeMismatchError extends Error {
    constructor(expected, actual, what = 'content') {
        super(`${what} is ${actual} bytes, expected ${expected}`);
        this.name = 'SizeMismatchError';
    }
}
/** Hashes what passes through; `digest()` is the running result once the stream has ended. */
class DigestingStream extends external_node_stream_.Transform {
    hash;
    algorithm;
    bytes = 0;
    constructor(algorithm = 'sha256') {
        super();
        this.algorithm = algorithm;
        this.hash = (0,external_node_crypto_.createHash)(algorithm);
    }
    _transform(chunk, _encoding, callback) {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        callback(null, chunk);
    }
    result;
    digest() {
        this.result ??= `${this.algorithm}:${this.hash.digest('hex')}`;
        return this.result;
    }
}
/**
 * Passes the data through and fails the stream, instead of ending it, when the content does not
 * have the expected digest (or size, when given). A consumer therefore never sees a clean end of
 * wrong content, and with the size given never even its last chunk.
 */
class VerifyingStream extends external_node_stream_.Transform {
    hash;
    expected;
    expectedSize;
    what;
    seen = 0;
    /** the outcome of the digest check once made: null when the content matched */
    checked;
    constructor(expected, options = {}) {
        super();
        this.expected = expected;
        this.expectedSize = options.size;
        this.what = options.what ?? 'content';
        this.hash = (0,external_node_crypto_.createHash)(digestAlgorithm(expected));
    }
    /** Whether this stream already fails on anything but `digest` (of `size` bytes, when known). */
    verifies(digest, size) {
        return digest === this.expected && (size === undefined || size === this.expectedSize);
    }
    _transform(chunk, _encoding, callback) {
        this.seen += chunk.length;
        if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
            callback(new SizeMismatchError(this.expectedSize, this.seen, this.what));
            return;
        }
        this.hash.update(chunk);
        // With the size known, the last byte is checked before it is passed on: a consumer (an
        // upload of exactly that many bytes) never receives the whole of wrong content.
        if (this.seen === this.expectedSize) {
            callback(this.mismatch(), chunk);
            return;
        }
        callback(null, chunk);
    }
    _flush(callback) {
        if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
            callback(new SizeMismatchError(this.expectedSize, this.seen, this.what));
            return;
        }
        callback(this.mismatch());
    }
    mismatch() {
        if (this.checked === undefined) {
            const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}`;
            this.checked = actual === this.expected ? null : new DigestMismatchError(this.expected, actual, this.what);
        }
        return this.checked;
    }
}

;// CONCATENATED MODULE: ./shared/src/oci/grammar.ts
// The grammar of the strings a registry hands over that end up in logs, decisions and new
// manifests: media types (RFC 6838 names, as the OCI spec requires for mediaType and
// artifactType) and platform fields (os, architecture, variant: the GOOS/GOARCH vocabulary).
// Anything else is refused where it is parsed: a registry's bytes are verified by digest, its
// strings are not trusted.

// restricted-name = restricted-name-first *126restricted-name-chars (RFC 6838 section 4.2)
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE_RE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);
// parameters as registries send them in Content-Type: `; charset=utf-8`
const PARAMETERS_RE = /^(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*\s*$/;
const PLATFORM_PART_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const OS_VERSION_RE = /^[A-Za-z0-9_.+-]{1,128}$/;
/** A bare media type (`type/subtype`, no parameters). */
function isMediaType(value) {
    return MEDIA_TYPE_RE.test(value);
}
/** A Content-Type value: a media type with optional `; name=value` parameters. */
function isContentType(value) {
    const semi = value.indexOf(';');
    if (semi < 0)
        return isMediaType(value.trim());
    return isMediaType(value.slice(0, semi).trim()) && PARAMETERS_RE.test(value.slice(semi));
}
/** One of os, architecture, variant. */
function isPlatformPart(value) {
    return PLATFORM_PART_RE.test(value);
}
function isOsVersion(value) {
    return OS_VERSION_RE.test(value);
}
/** A foreign value quoted for a message: JSON escapes for control characters, cut at 80 characters. */
function quoteForeign(value) {
    const text = typeof value === 'string' ? value : String(value);
    return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
/** Content from a registry that breaks the grammar it must follow. */
class InvalidContentError extends errors/* OperationError */.OK {
    constructor(what, detail) {
        super(`reading ${what}`, detail);
        this.name = 'InvalidContentError';
    }
}
/**
 * A platform (of an index entry or an image config) whose fields follow their grammar; an
 * InvalidContentError names the field otherwise.
 */
function checkedPlatform(p, where) {
    for (const field of ['os', 'architecture', 'variant']) {
        const value = p[field];
        if (field === 'variant' && (value === undefined || value === ''))
            continue;
        if (typeof value !== 'string' || !isPlatformPart(value)) {
            throw new InvalidContentError(where, `its platform ${field} ${quoteForeign(value)} is not a platform name`);
        }
    }
    const platform = { os: p.os, architecture: p.architecture };
    if (typeof p.variant === 'string' && p.variant !== '')
        platform.variant = p.variant;
    const version = p['os.version'];
    if (typeof version === 'string' && version !== '') {
        if (!isOsVersion(version)) {
            throw new InvalidContentError(where, `its platform os.version ${quoteForeign(version)} is not a version`);
        }
        platform['os.version'] = version;
    }
    if (Array.isArray(p['os.features'])) {
        const features = p['os.features'].filter((f) => typeof f === 'string');
        const bad = features.find((f) => !isPlatformPart(f));
        if (bad !== undefined) {
            throw new InvalidContentError(where, `its platform os.features entry ${quoteForeign(bad)} is not a feature name`);
        }
        platform['os.features'] = features;
    }
    return platform;
}

;// CONCATENATED MODULE: ./shared/src/oci/media-types.ts
// Media types of the OCI image spec and Docker's image formats that the registry client and the
// graph code recognise, and the Accept list sent for manifests so that a registry hands back
// whatever it stores byte for byte instead of converting it.
const MediaType = {
    OciManifest: 'application/vnd.oci.image.manifest.v1+json',
    OciIndex: 'application/vnd.oci.image.index.v1+json',
    OciConfig: 'application/vnd.oci.image.config.v1+json',
    OciLayer: 'application/vnd.oci.image.layer.v1.tar',
    OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
    OciEmptyJson: 'application/vnd.oci.empty.v1+json',
    DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    DockerConfig: 'application/vnd.docker.container.image.v1+json',
    DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
    /** schema 1 (signed) manifests: recognised so they can be named in errors, never produced */
    DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
};
/** The digest and size of the OCI empty JSON blob `{}`, used as the config of artifacts. */
const EMPTY_JSON = {
    digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    size: 2,
    bytes: Buffer.from('{}'),
};
const MANIFEST_MEDIA_TYPES = [
    MediaType.OciIndex,
    MediaType.OciManifest,
    MediaType.DockerManifestList,
    MediaType.DockerManifest,
];
/** Every manifest type we can handle, most capable first; schema 1 is deliberately left out. */
const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');
function bare(mt) {
    return (mt.split(';')[0] ?? '').trim().toLowerCase();
}
function isIndexMediaType(mt) {
    const m = bare(mt);
    return m === MediaType.OciIndex || m === MediaType.DockerManifestList;
}
function isImageManifestMediaType(mt) {
    const m = bare(mt);
    return m === MediaType.OciManifest || m === MediaType.DockerManifest;
}
function isManifestMediaType(mt) {
    return MANIFEST_MEDIA_TYPES.includes(bare(mt));
}
/** The media type without parameters (`; charset=utf-8`) and in lower case. */
function bareMediaType(mt) {
    return bare(mt);
}

;// CONCATENATED MODULE: ./shared/src/oci/blob-upload.ts




/** `location` with `digest=` added to its query, whatever query it already has. */
function withQuery(location, name, value) {
    const url = new URL(location);
    url.searchParams.set(name, value);
    return url.toString();
}
/** A PATCH refused with 413 is halved down to this size, not below. */
const MIN_CHUNK_BYTES = 64 * 1024;
function positiveHeader(res, name) {
    const v = header(res.headers, name);
    if (v === undefined || !/^\d+$/.test(v.trim()))
        return undefined;
    const n = Number(v);
    return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}
/** The session a 202 answer (POST of an upload or a mount that fell back) opened. */
function uploadSession(res, requestUrl) {
    const location = header(res.headers, 'location');
    if (!location)
        return undefined;
    return {
        location: new URL(location, requestUrl).toString(),
        minChunk: positiveHeader(res, 'oci-chunk-min-length') ?? 0,
        maxChunk: positiveHeader(res, 'oci-chunk-max-length'),
    };
}
/** A size the upload can announce: a non-negative safe integer; anything else means unknown. */
function knownSize(size) {
    return Number.isSafeInteger(size) && size >= 0;
}
/** The registry refused a blob in one request (413 or 416): it wants chunks, at most maxChunk when it said. */
class ChunksRequiredError extends Error {
    maxChunk;
    constructor(status, maxChunk) {
        super(`the registry refused the blob in one request (HTTP ${status})`);
        this.name = 'ChunksRequiredError';
        this.maxChunk = maxChunk;
    }
}
class BlobUploader {
    io;
    monolithicMax;
    chunkBytes;
    /**
     * Registries that refused a blob in one request, with the largest chunk they announced: every
     * later upload to them goes in chunks straight away.
     */
    chunkedRegistries = new Map();
    constructor(io, options = {}) {
        this.io = io;
        this.monolithicMax = options.monolithicMaxBytes ?? Number.POSITIVE_INFINITY;
        this.chunkBytes = options.chunkBytes ?? 16 * 1024 * 1024;
    }
    /**
     * The mount request. 201: mounted. 202: the registry could not mount (unknown blob, or no
     * read access to `from`) and opened an upload session instead, handed back for reuse.
     * 401/403/404 (Harbor answers 401 when the token lacks pull on `from`): not mounted, and the
     * plain upload that follows asks only for the target's scope.
     */
    async tryMount(repo, digest, from) {
        if (from.registry !== repo.registry || from.repository === repo.repository)
            return { mounted: false };
        const operation = `mounting blob ${digest} from ${from.repository} into ${repo.registry}/${repo.repository}`;
        const url = this.io.url(repo, `blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.repository)}`);
        try {
            return await this.io.call({
                operation,
                repo,
                scopes: [repositoryScope(repo.repository, 'pull,push'), repositoryScope(from.repository, 'pull')],
                action: 'push',
                method: 'POST',
                url,
                headers: { 'content-length': '0' },
            }, async (res) => {
                const text = await readText(res, 64 * 1024);
                if (res.status === 201)
                    return { mounted: true };
                const session = res.status === 202 ? uploadSession(res, url) : undefined;
                if (session)
                    return { mounted: false, session };
                if (res.status === 401 || res.status === 403 || res.status === 404) {
                    this.io.logger?.debug(`${operation}: HTTP ${res.status}, uploading instead`);
                    return { mounted: false };
                }
                throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
            });
        }
        catch (err) {
            if (err instanceof AuthError || (err instanceof RegistryError && (err.status === 401 || err.status === 403))) {
                this.io.logger?.debug(`${operation}: not authorised to mount, uploading instead`);
                return { mounted: false };
            }
            throw err;
        }
    }
    /**
     * Proves push permission without writing anything: opens an upload session (the push scope is
     * asked for and granted or refused) and cancels it. A refusal throws the registry's 401/403.
     */
    async checkPushAccess(repo) {
        const { location } = await this.startUpload(`checking push access to ${repo.registry}/${repo.repository}`, repo);
        await this.cancelUpload(repo, location);
    }
    /** Opens an upload session: its absolute Location and the registry's chunk sizes. */
    async startUpload(operation, repo) {
        const url = this.io.url(repo, 'blobs/uploads/');
        return this.io.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull,push')],
            action: 'push',
            method: 'POST',
            url,
            headers: { 'content-length': '0' },
        }, async (res) => {
            const text = await readText(res, 64 * 1024);
            const session = res.status === 202 ? uploadSession(res, url) : undefined;
            if (!session)
                throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
            return session;
        }, { retry: false });
    }
    async cancelUpload(repo, location) {
        try {
            await this.io.call({
                operation: 'cancelling an upload',
                repo,
                scopes: [repositoryScope(repo.repository, 'pull,push')],
                action: 'push',
                method: 'DELETE',
                url: location,
            }, (res) => discardResponse(res), { retry: false });
        }
        catch {
            // an abandoned session expires on the registry by itself
        }
    }
    /**
     * Uploads the blob, starting over from a fresh body stream and a fresh session on a retryable
     * failure (a mount's session is used by the first attempt only). One streamed PUT when the
     * size is known and the registry accepts it; PATCH chunks otherwise. A registry that refuses
     * the single request (413/416) is remembered, and the same attempt starts over in chunks.
     */
    async upload(operation, repo, desc, body, session) {
        try {
            await this.io.transport.retrying(operation, async (attempt) => {
                let reuse = attempt === 0 ? session : undefined;
                for (;;) {
                    const current = reuse ?? (await this.startUpload(operation, repo));
                    reuse = undefined;
                    const chunkSize = this.chunkSizeFor(repo.registry, desc.size, current);
                    let source;
                    try {
                        source = await body();
                        if (chunkSize === undefined)
                            await this.putMonolithic(operation, repo, current.location, desc, source);
                        else
                            await this.putChunked(operation, repo, current.location, desc, source, chunkSize);
                        return;
                    }
                    catch (err) {
                        source?.destroy();
                        await this.cancelUpload(repo, current.location);
                        if (!(err instanceof ChunksRequiredError) || chunkSize !== undefined)
                            throw err;
                        this.io.logger?.debug(`${operation}: ${err.message}; uploading in chunks from now on`);
                        this.chunkedRegistries.set(repo.registry, err.maxChunk ?? current.maxChunk);
                    }
                }
            });
        }
        catch (err) {
            if (err instanceof RetryableStatusError) {
                const { status, headers, text } = err.response;
                throw await this.io.statusError(operation, status, headers, text, { repo, action: 'push', kind: 'blob' }, err);
            }
            throw this.io.wrap(operation, err);
        }
    }
    /**
     * undefined: the blob goes up in one streamed request. Otherwise the PATCH chunk size:
     * chunkBytes, at least the registry's minimum, at most its maximum (announced now or before).
     */
    chunkSizeFor(registry, size, session) {
        const learned = this.chunkedRegistries.get(registry);
        const maxChunk = session.maxChunk !== undefined && learned !== undefined
            ? Math.min(session.maxChunk, learned)
            : (session.maxChunk ?? learned);
        const demanded = this.chunkedRegistries.has(registry) || (maxChunk !== undefined && size > maxChunk);
        if (knownSize(size) && size <= this.monolithicMax && !demanded)
            return undefined;
        const chunk = Math.max(this.chunkBytes, session.minChunk);
        return maxChunk !== undefined ? Math.max(1, Math.min(chunk, maxChunk)) : chunk;
    }
    /**
     * The body checked against the blob's digest and size while it is sent. A stream from getBlob
     * of the same blob already is such a check: hashing it twice would cost a pass over every byte.
     */
    verified(source, desc) {
        const size = knownSize(desc.size) ? desc.size : undefined;
        if (source instanceof VerifyingStream && source.verifies(desc.digest, size))
            return source;
        const verifier = new VerifyingStream(desc.digest, {
            size,
            what: `the content given for blob ${desc.digest}`,
        });
        source.on('error', (err) => verifier.destroy(err));
        source.pipe(verifier);
        return verifier;
    }
    async putMonolithic(operation, repo, location, desc, source) {
        const url = withQuery(location, 'digest', desc.digest);
        const res = await this.io.exchange({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull,push')],
            action: 'push',
            method: 'PUT',
            url,
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
            body: this.verified(source, desc),
        });
        if (res.status === 413 || res.status === 416) {
            await discardResponse(res);
            throw new ChunksRequiredError(res.status, positiveHeader(res, 'oci-chunk-max-length'));
        }
        await this.finishUpload(operation, repo, res, desc.digest);
    }
    /**
     * PATCH chunks of `chunkSize` bytes (the last one shorter), each at the Location the previous
     * answer gave, then the closing PUT. One chunk is in memory at a time; the size may be unknown.
     */
    async putChunked(operation, repo, firstLocation, desc, source, chunkSize) {
        const scopes = [repositoryScope(repo.repository, 'pull,push')];
        let location = firstLocation;
        let offset = 0;
        // A PATCH answered 413 (a body limit in front of the registry) is sent again in halves; the
        // smaller size then holds for the rest of this blob and for later uploads to the registry.
        let limit = chunkSize;
        const sendPiece = async (piece) => {
            const res = await this.io.exchange({
                operation,
                repo,
                scopes,
                action: 'push',
                method: 'PATCH',
                url: location,
                headers: {
                    'content-type': 'application/octet-stream',
                    'content-range': `${offset}-${offset + piece.length - 1}`,
                    'content-length': String(piece.length),
                },
                body: piece,
            });
            if (res.status === 413 && piece.length > MIN_CHUNK_BYTES) {
                await discardResponse(res);
                return false;
            }
            await this.io.transport.throwIfRetryable(res);
            const text = await readText(res, 64 * 1024);
            const next = header(res.headers, 'location');
            if (res.status !== 202 || !next)
                throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
            location = new URL(next, location).toString();
            offset += piece.length;
            return true;
        };
        const send = async (chunk) => {
            for (let start = 0; start < chunk.length;) {
                const piece = chunk.subarray(start, start + limit);
                if (await sendPiece(piece)) {
                    start += piece.length;
                    continue;
                }
                limit = Math.max(MIN_CHUNK_BYTES, Math.floor(piece.length / 2));
                this.chunkedRegistries.set(repo.registry, Math.min(limit, this.chunkedRegistries.get(repo.registry) ?? limit));
                this.io.logger?.debug(`${operation}: a ${piece.length}-byte chunk was refused (HTTP 413); sending ${limit}-byte chunks`);
            }
        };
        // One buffer, refilled for every chunk: a PATCH is answered only after its body was read.
        const buffer = Buffer.allocUnsafe(chunkSize);
        let filled = 0;
        for await (const piece of this.verified(source, desc)) {
            let data = piece;
            while (data.length > 0) {
                const n = data.copy(buffer, filled);
                filled += n;
                data = data.subarray(n);
                if (filled === chunkSize) {
                    await send(buffer);
                    filled = 0;
                }
            }
        }
        if (filled > 0)
            await send(buffer.subarray(0, filled));
        const res = await this.io.exchange({
            operation,
            repo,
            scopes,
            action: 'push',
            method: 'PUT',
            url: withQuery(location, 'digest', desc.digest),
            headers: { 'content-length': '0' },
        });
        await this.finishUpload(operation, repo, res, desc.digest);
    }
    async finishUpload(operation, repo, res, digest) {
        await this.io.transport.throwIfRetryable(res);
        if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
            throw await this.io.responseError(operation, res, repo, 'push', 'blob');
        }
        await discardResponse(res);
        const stored = header(res.headers, 'docker-content-digest');
        if (stored && (0,oci_reference/* isDigest */.Bc)(stored) && stored !== digest) {
            throw new DigestMismatchError(digest, stored, 'the blob as the registry stored it');
        }
    }
}

;// CONCATENATED MODULE: ./shared/src/oci/descriptor.ts

function stringRecord(value) {
    if (!value || typeof value !== 'object' || Array.isArray(value))
        return undefined;
    const out = {};
    for (const [k, v] of Object.entries(value))
        if (typeof v === 'string')
            out[k] = v;
    return out;
}
/**
 * A descriptor from manifest JSON, or undefined when the entry lacks what a descriptor must have.
 * A media type, artifact type or platform that breaks its grammar is an InvalidContentError:
 * those strings reach logs, decisions and new manifests, and a plan must not skip the entry.
 */
function toDescriptor(value) {
    const v = value;
    if (!v || typeof v !== 'object')
        return undefined;
    if (typeof v.mediaType !== 'string' || typeof v.digest !== 'string' || typeof v.size !== 'number')
        return undefined;
    const where = `descriptor ${quoteForeign(v.digest)}`;
    if (!isMediaType(v.mediaType)) {
        throw new InvalidContentError(where, `its mediaType ${quoteForeign(v.mediaType)} is not a media type`);
    }
    const d = { mediaType: v.mediaType, digest: v.digest, size: v.size };
    const annotations = stringRecord(v.annotations);
    if (annotations)
        d.annotations = annotations;
    if (typeof v.artifactType === 'string' && v.artifactType !== '') {
        if (!isMediaType(v.artifactType)) {
            throw new InvalidContentError(where, `its artifactType ${quoteForeign(v.artifactType)} is not a media type`);
        }
        d.artifactType = v.artifactType;
    }
    const p = v.platform;
    if (p && typeof p === 'object' && typeof p.os === 'string' && typeof p.architecture === 'string') {
        d.platform = checkedPlatform(p, where);
    }
    return d;
}
/** The entries of an index (OCI index or Docker manifest list) with their platforms; [] for a single manifest. */
function indexManifests(manifest) {
    const list = manifest.json?.manifests;
    if (!Array.isArray(list))
        return [];
    return list.map(toDescriptor).filter((d) => d !== undefined);
}

;// CONCATENATED MODULE: ./shared/src/oci/client.ts
// The registry client (OCI distribution API v2) every action that touches a registry stands on:
// manifests byte-exact and digest-verified, blobs streamed both ways with bounded memory,
// cross-repository mounts, tag listing, the referrers API. Auth (anonymous, basic, bearer
// challenge) and retries live in auth.ts and transport.ts, the upload path (sessions, chunks,
// the 413 fallback) in blob-upload.ts; this file speaks the API.











// Descriptors are parsed (and held to their grammar) in descriptor.ts, which other modules
// import without loading the client.

/** `os/architecture[/variant]`, as docker and buildx write platforms. */
function formatPlatform(platform) {
    return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
/** OCI recommends registries accept manifests up to 4 MiB; twice that is read before giving up. */
const MANIFEST_MAX_BYTES = 8 * 1024 * 1024;
const TAG_LIST_MAX_BYTES = 64 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const MAX_PAGES = 10_000;
const TAGS_PAGE = 1000;
function loopbackHost(registry) {
    const host = registry
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, '')
        .toLowerCase();
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
/** The first error of an OCI error body (`{"errors":[{"code","message"}]}`), when there is one. */
function parseOciError(text) {
    try {
        const body = JSON.parse(text);
        const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
        if (!first)
            return {};
        return {
            code: typeof first.code === 'string' ? first.code : undefined,
            message: typeof first.message === 'string' ? first.message.slice(0, 300) : undefined,
        };
    }
    catch {
        return {};
    }
}
function contentLength(res) {
    const v = header(res.headers, 'content-length');
    if (v === undefined || !/^\d+$/.test(v.trim()))
        return undefined;
    return Number(v);
}
const dump = discardResponse;
async function readBody(res, max, what) {
    const declared = contentLength(res);
    if (declared !== undefined && declared > max) {
        res.body.destroy();
        throw new Error(`${what} is ${declared} bytes, more than the ${max} bytes accepted`);
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of res.body) {
        size += chunk.length;
        if (size > max) {
            res.body.destroy();
            throw new Error(`${what} is more than the ${max} bytes accepted`);
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
class RegistryClient {
    transport;
    auth;
    plainHttp;
    logger;
    uploads;
    constructor(options = {}) {
        this.logger = options.logger;
        this.transport = new Transport({
            retry: options.retry,
            userAgent: options.userAgent,
            env: options.env,
            logger: options.logger,
        });
        this.auth = new Authenticator({
            transport: this.transport,
            credentials: options.credentials ?? dockerConfigCredentials({ env: options.env }),
            maskSecret: options.maskSecret,
            logger: options.logger,
            registryOrigin: (registry) => this.baseUrl(registry),
        });
        this.plainHttp = options.plainHttp ?? loopbackHost;
        this.uploads = new BlobUploader({
            transport: this.transport,
            logger: options.logger,
            url: (repo, path) => this.url(repo, path),
            exchange: (spec) => this.exchange(spec),
            call: (spec, handle, callOptions) => this.call(spec, handle, callOptions),
            responseError: (...args) => this.responseError(...args),
            statusError: (...args) => this.statusError(...args),
            wrap: (operation, err) => this.wrap(operation, err),
        }, { monolithicMaxBytes: options.monolithicMaxBytes, chunkBytes: options.chunkBytes });
    }
    /** total HTTP requests made, token requests included */
    requestCount() {
        return this.transport.requestCount();
    }
    /** closes kept-alive connections */
    close() {
        return this.transport.close();
    }
    // ---- manifests ----
    async getManifest(repo, reference) {
        const operation = `getting manifest ${this.refText(repo, reference)}`;
        this.checkReference(operation, reference);
        return this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull')],
            action: 'pull',
            method: 'GET',
            url: this.url(repo, `manifests/${reference}`),
            headers: { accept: MANIFEST_ACCEPT },
            followRedirects: true,
        }, async (res) => {
            if (res.status !== 200)
                throw await this.responseError(operation, res, repo, 'pull', 'manifest');
            const bytes = await readBody(res, MANIFEST_MAX_BYTES, 'the manifest');
            const headerDigest = header(res.headers, 'docker-content-digest');
            let digest;
            if ((0,oci_reference/* isDigest */.Bc)(reference)) {
                digest = digestOf(bytes, digestAlgorithm(reference));
                if (digest !== reference)
                    throw new DigestMismatchError(reference, digest, 'the manifest the registry sent');
            }
            else {
                const algorithm = headerDigest && (0,oci_reference/* isDigest */.Bc)(headerDigest) ? digestAlgorithm(headerDigest) : 'sha256';
                digest = digestOf(bytes, algorithm);
                if (headerDigest && (0,oci_reference/* isDigest */.Bc)(headerDigest) && headerDigest !== digest) {
                    throw new DigestMismatchError(headerDigest, digest, 'the manifest the registry sent (Docker-Content-Digest)');
                }
            }
            let json;
            try {
                json = JSON.parse(bytes.toString('utf8'));
            }
            catch {
                throw new RegistryError(operation, 'the registry sent a manifest that is not JSON');
            }
            const bodyType = json?.mediaType;
            const contentType = header(res.headers, 'content-type');
            const mediaType = typeof bodyType === 'string' && bodyType !== ''
                ? bodyType
                : contentType && isContentType(contentType)
                    ? bareMediaType(contentType)
                    : MediaType.OciManifest;
            if (!isMediaType(mediaType)) {
                throw new RegistryError(operation, `the manifest's mediaType ${quoteForeign(mediaType)} is not a media type`);
            }
            return { digest, mediaType, bytes, json };
        });
    }
    /** null on 404 */
    async headManifest(repo, reference) {
        const operation = `checking manifest ${this.refText(repo, reference)}`;
        this.checkReference(operation, reference);
        const found = await this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull')],
            action: 'pull',
            method: 'HEAD',
            url: this.url(repo, `manifests/${reference}`),
            headers: { accept: MANIFEST_ACCEPT },
            followRedirects: true,
        }, async (res) => {
            await dump(res);
            if (res.status === 404)
                return null;
            if (res.status !== 200)
                throw await this.responseError(operation, res, repo, 'pull', 'manifest');
            const headerDigest = header(res.headers, 'docker-content-digest');
            const size = contentLength(res);
            const mediaType = header(res.headers, 'content-type');
            if (!headerDigest || !(0,oci_reference/* isDigest */.Bc)(headerDigest) || size === undefined || !mediaType)
                return undefined;
            if (!isContentType(mediaType))
                return undefined;
            if ((0,oci_reference/* isDigest */.Bc)(reference) && headerDigest !== reference)
                return undefined;
            return { mediaType: bareMediaType(mediaType), digest: headerDigest, size };
        });
        if (found !== undefined)
            return found;
        // The registry left out what a HEAD should say: read the manifest to know it for sure.
        const full = await this.getManifest(repo, reference);
        return { mediaType: full.mediaType, digest: full.digest, size: full.bytes.length };
    }
    async putManifest(repo, reference, bytes, mediaType) {
        const operation = `pushing manifest ${this.refText(repo, reference)}`;
        this.checkReference(operation, reference);
        const digest = (0,oci_reference/* isDigest */.Bc)(reference) ? digestOf(bytes, digestAlgorithm(reference)) : digestOf(bytes);
        if ((0,oci_reference/* isDigest */.Bc)(reference) && digest !== reference) {
            throw new RegistryError(operation, `the manifest bytes have digest ${digest}, not ${reference}`);
        }
        return this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull,push')],
            action: 'push',
            method: 'PUT',
            url: this.url(repo, `manifests/${reference}`),
            headers: { 'content-type': mediaType },
            body: bytes,
        }, async (res) => {
            const text = await readText(res, 64 * 1024);
            if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
                throw await this.responseError(operation, res, repo, 'push', 'manifest', text);
            }
            const answered = header(res.headers, 'docker-content-digest');
            if (answered &&
                (0,oci_reference/* isDigest */.Bc)(answered) &&
                digestAlgorithm(answered) === digestAlgorithm(digest) &&
                answered !== digest) {
                throw new DigestMismatchError(digest, answered, 'the manifest as the registry stored it');
            }
            return { digest, subjectProcessed: header(res.headers, 'oci-subject') !== undefined };
        });
    }
    /** Deletes a manifest by digest; one that is already gone counts as deleted. */
    async deleteManifest(repo, digest) {
        const operation = `deleting manifest ${this.refText(repo, digest)}`;
        this.checkDigest(operation, digest);
        await this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'delete')],
            action: 'delete',
            method: 'DELETE',
            url: this.url(repo, `manifests/${digest}`),
        }, async (res) => {
            const text = await readText(res, 64 * 1024);
            if (res.status === 202 || res.status === 200 || res.status === 204)
                return;
            if (res.status === 404 && parseOciError(text).code === 'MANIFEST_UNKNOWN') {
                this.logger?.debug(`${operation}: already gone`);
                return;
            }
            throw await this.responseError(operation, res, repo, 'delete', 'manifest', text);
        });
    }
    /** false when the registry cannot untag (400/405 on distribution, Docker Hub, ghcr) */
    async deleteTag(repo, tag) {
        const operation = `deleting tag ${this.refText(repo, tag)}`;
        if (!(0,oci_reference/* isValidTag */.r_)(tag))
            throw new RegistryError(operation, `'${tag}' is not a valid tag`);
        return this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'delete')],
            action: 'delete',
            method: 'DELETE',
            url: this.url(repo, `manifests/${tag}`),
        }, async (res) => {
            const text = await readText(res, 64 * 1024);
            if (res.status === 202 || res.status === 200 || res.status === 204)
                return true;
            const code = parseOciError(text).code;
            if (res.status === 400 || res.status === 405 || res.status === 501 || code === 'UNSUPPORTED')
                return false;
            throw await this.responseError(operation, res, repo, 'delete', 'manifest', text);
        });
    }
    // ---- tags ----
    /**
     * All pages, sorted; [] for a repository the registry does not know. A listing longer than
     * the bounds is an error, never a silent partial list; an abort stops it at once.
     */
    async listTags(repo, options = {}) {
        const operation = `listing tags of ${repo.registry}/${repo.repository}`;
        const maxPages = options.maxPages ?? MAX_PAGES;
        const maxTags = options.maxTags ?? Number.POSITIVE_INFINITY;
        const { signal } = options;
        const tags = new Set();
        const seen = new Set();
        let url = this.url(repo, `tags/list?n=${TAGS_PAGE}`);
        while (url && !seen.has(url)) {
            if (signal?.aborted)
                throw new RegistryError(operation, `given up after ${seen.size} page(s)`, { cause: signal.reason });
            if (seen.size >= maxPages) {
                throw new RegistryError(operation, `the registry kept sending pages: stopped after ${maxPages} (${tags.size} tags)`);
            }
            seen.add(url);
            const pageUrl = url;
            const page = await this.call({
                operation,
                repo,
                scopes: [repositoryScope(repo.repository, 'pull')],
                action: 'pull',
                method: 'GET',
                url: pageUrl,
                headers: { accept: 'application/json' },
                followRedirects: true,
                signal,
            }, async (res) => {
                if (res.status === 404) {
                    const text = await readText(res, 64 * 1024);
                    const code = parseOciError(text).code;
                    // A repository the registry does not know has no tags; a page after the first that is
                    // missing means the listing is incomplete, never that the remaining tags are gone.
                    if (seen.size > 1) {
                        throw new RegistryError(operation, `page ${seen.size} of the tag list answered 404${code ? ` (${code})` : ''}: the listing is incomplete`, { status: 404, ...(code ? { code } : {}) });
                    }
                    if (code === 'NAME_UNKNOWN' || code === undefined)
                        return null;
                    throw await this.responseError(operation, res, repo, 'pull', 'repository', text);
                }
                if (res.status !== 200)
                    throw await this.responseError(operation, res, repo, 'pull', 'repository');
                const body = await readBody(res, TAG_LIST_MAX_BYTES, 'the tag list');
                let json;
                try {
                    json = JSON.parse(body.toString('utf8'));
                }
                catch {
                    throw new RegistryError(operation, 'the registry sent a tag list that is not JSON');
                }
                // distribution answers `"tags": null` once every tag of a repository is gone
                const list = Array.isArray(json?.tags) ? json.tags.filter((t) => typeof t === 'string') : [];
                return { list, next: parseLinkNext(res.headers.link, res.url) };
            });
            if (!page)
                break;
            const before = tags.size;
            for (const t of page.list)
                tags.add(t);
            if (tags.size > maxTags) {
                throw new RegistryError(operation, `the repository has more than ${maxTags} tags: stopped reading`);
            }
            url = page.next;
            // A registry that honours `n` but sends no Link: a full page means asking on from its last tag.
            if (!url && page.list.length >= TAGS_PAGE && tags.size > before) {
                url = this.url(repo, `tags/list?n=${TAGS_PAGE}&last=${encodeURIComponent(page.list.at(-1))}`);
            }
        }
        return [...tags].sort();
    }
    // ---- blobs ----
    async headBlob(repo, digest) {
        const operation = `checking blob ${this.refText(repo, digest)}`;
        this.checkDigest(operation, digest);
        return this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull')],
            action: 'pull',
            method: 'HEAD',
            url: this.url(repo, `blobs/${digest}`),
            followRedirects: true,
        }, async (res) => {
            await dump(res);
            if (res.status === 404)
                return null;
            if (res.status !== 200)
                throw await this.responseError(operation, res, repo, 'pull', 'blob');
            return { size: contentLength(res) ?? -1 };
        });
    }
    /**
     * Streams a blob. Redirects are followed without Authorization on other hosts. A connection
     * cut mid-way is resumed with a Range request; the stream fails (never ends cleanly) when the
     * content does not match the digest.
     */
    async getBlob(repo, digest) {
        const operation = `getting blob ${this.refText(repo, digest)}`;
        this.checkDigest(operation, digest);
        const first = await this.openBlob(operation, repo, digest, 0);
        const size = contentLength(first.res);
        const retries = this.transport.retry;
        const self = this;
        async function* content() {
            let current = first;
            let received = 0;
            for (let failures = 0;;) {
                try {
                    let skip = current.skip;
                    for await (const chunk of current.res.body) {
                        let b = chunk;
                        if (skip > 0) {
                            const n = Math.min(skip, b.length);
                            skip -= n;
                            b = b.subarray(n);
                            if (b.length === 0)
                                continue;
                        }
                        received += b.length;
                        yield b;
                    }
                    return;
                }
                catch (err) {
                    if (!isRetryableNetworkError(err) || failures >= retries.retries) {
                        throw new RegistryError(operation, `the download broke off after ${received} bytes: ${describeNetworkError(err)}`, {
                            cause: err,
                        });
                    }
                    failures++;
                    self.logger?.debug(`${operation}: cut off after ${received} bytes (${describeNetworkError(err)}); resuming`);
                    await sleep(Math.min(retries.maxDelayMs, retries.minDelayMs * 2 ** (failures - 1)));
                    current = await self.openBlob(operation, repo, digest, received);
                }
            }
        }
        const source = external_node_stream_.Readable.from(content(), { objectMode: false });
        const verifier = new VerifyingStream(digest, { size, what: `blob ${digest}` });
        source.on('error', (err) => verifier.destroy(err));
        verifier.on('close', () => {
            if (!source.destroyed)
                source.destroy();
        });
        source.pipe(verifier);
        return verifier;
    }
    /** GET of a blob from `offset` on; `skip` is what to drop when the registry ignored the Range. */
    async openBlob(operation, repo, digest, offset) {
        return this.call({
            operation,
            repo,
            scopes: [repositoryScope(repo.repository, 'pull')],
            action: 'pull',
            method: 'GET',
            url: this.url(repo, `blobs/${digest}`),
            headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
            followRedirects: true,
        }, async (res) => {
            if (offset > 0 && res.status === 206)
                return { res, skip: 0 };
            if (res.status === 200)
                return { res, skip: offset };
            throw await this.responseError(operation, res, repo, 'pull', 'blob');
        });
    }
    /** A small blob (a config, an SBOM) in memory, verified; larger than `maxBytes` is an error. */
    async getBlobBytes(repo, digest, maxBytes = 64 * 1024 * 1024) {
        const operation = `getting blob ${this.refText(repo, digest)}`;
        const stream = await this.getBlob(repo, digest);
        const chunks = [];
        let size = 0;
        try {
            for await (const chunk of stream) {
                size += chunk.length;
                if (size > maxBytes) {
                    stream.destroy();
                    throw new RegistryError(operation, `the blob is larger than the ${maxBytes} bytes accepted here`);
                }
                chunks.push(chunk);
            }
        }
        catch (err) {
            throw this.wrap(operation, err);
        }
        return Buffer.concat(chunks);
    }
    /**
     * HEAD first ('existed'), then a mount from `options.mountFrom` when given ('mounted'), else
     * an upload: the whole blob streamed in one PUT when its size is known (`size` -1 means
     * unknown), PATCH chunks when the registry demands them (OCI-Chunk-Max-Length, a 413 or 416
     * answer to the single request) or the size is unknown. Memory stays bounded either way. The
     * body factory is called again whenever an upload has to start over.
     */
    async pushBlob(repo, desc, body, options = {}) {
        const operation = `pushing blob ${desc.digest} to ${repo.registry}/${repo.repository}`;
        this.checkDigest(operation, desc.digest);
        if (await this.headBlob(repo, desc.digest))
            return 'existed';
        let session;
        if (options.mountFrom) {
            const mount = await this.uploads.tryMount(repo, desc.digest, options.mountFrom);
            if (mount.mounted)
                return 'mounted';
            session = mount.session;
        }
        await this.uploads.upload(operation, repo, desc, body, session);
        return 'uploaded';
    }
    async pushBlobBytes(repo, bytes) {
        const digest = digestOf(bytes);
        const transfer = await this.pushBlob(repo, { digest, size: bytes.length }, () => external_node_stream_.Readable.from([bytes]));
        return { digest, size: bytes.length, transfer };
    }
    /** true when mounted (201); false when the registry opened an upload session (cancelled) or refused */
    async mountBlob(repo, digest, from) {
        this.checkDigest(`mounting blob ${digest} into ${repo.registry}/${repo.repository}`, digest);
        const mount = await this.uploads.tryMount(repo, digest, from);
        if (mount.session)
            await this.uploads.cancelUpload(repo, mount.session.location);
        return mount.mounted;
    }
    /**
     * Proves push permission without writing anything: opens an upload session (the push scope is
     * asked for and granted or refused) and cancels it. A refusal throws the registry's 401/403.
     */
    checkPushAccess(repo) {
        return this.uploads.checkPushAccess(repo);
    }
    // ---- referrers ----
    /** null when the API is unsupported (404 etc.); pagination via Link */
    async referrersApi(repo, digest, artifactType) {
        const operation = `listing referrers of ${this.refText(repo, digest)}`;
        this.checkDigest(operation, digest);
        const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
        let url = this.url(repo, `referrers/${digest}${query}`);
        const seen = new Set();
        const found = [];
        let filtered = true;
        while (url && !seen.has(url) && seen.size < MAX_PAGES) {
            seen.add(url);
            const pageUrl = url;
            const page = await this.call({
                operation,
                repo,
                scopes: [repositoryScope(repo.repository, 'pull')],
                action: 'pull',
                method: 'GET',
                url: pageUrl,
                headers: { accept: MediaType.OciIndex },
                followRedirects: true,
            }, async (res) => {
                if ([400, 404, 405, 406, 501].includes(res.status)) {
                    await dump(res);
                    return null;
                }
                if (res.status !== 200)
                    throw await this.responseError(operation, res, repo, 'pull', 'manifest');
                const body = await readBody(res, MANIFEST_MAX_BYTES, 'the referrers index');
                let json;
                try {
                    json = JSON.parse(body.toString('utf8'));
                }
                catch {
                    return null;
                }
                if (!Array.isArray(json?.manifests))
                    return null;
                const applied = (header(res.headers, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim());
                return {
                    manifests: json.manifests.map(toDescriptor).filter((d) => d !== undefined),
                    applied: applied.includes('artifactType'),
                    next: parseLinkNext(res.headers.link, res.url),
                };
            });
            if (!page) {
                if (seen.size === 1)
                    return null;
                break;
            }
            found.push(...page.manifests);
            filtered &&= page.applied;
            url = page.next;
        }
        return artifactType && !filtered ? found.filter((d) => d.artifactType === artifactType) : found;
    }
    // ---- plumbing ----
    baseUrl(registry) {
        return `${this.plainHttp(registry) ? 'http' : 'https'}://${(0,oci_reference/* registryApiHost */.Mb)(registry)}`;
    }
    url(repo, path) {
        return `${this.baseUrl(repo.registry)}/v2/${repo.repository}/${path}`;
    }
    refText(repo, reference) {
        return `${repo.registry}/${repo.repository}${(0,oci_reference/* isDigest */.Bc)(reference) || reference.includes(':') ? '@' : ':'}${reference}`;
    }
    checkReference(operation, reference) {
        if (reference.includes(':'))
            this.checkDigest(operation, reference);
        else if (!(0,oci_reference/* isValidTag */.r_)(reference))
            throw new RegistryError(operation, `'${reference}' is neither a tag nor a digest`);
    }
    checkDigest(operation, digest) {
        const problem = (0,oci_reference/* digestProblem */.WQ)(digest);
        if (problem)
            throw new RegistryError(operation, problem);
    }
    /**
     * One request with the auth handshake: the known Authorization (cached token or basic) goes
     * along; a 401 is answered once with the challenge's credentials. Redirects of GET/HEAD are
     * followed here, and Authorization only goes to the registry's own origin.
     */
    async exchange(spec) {
        const registry = spec.repo.registry;
        const origin = new URL(this.baseUrl(registry)).origin;
        const send = (url, authorization, body) => {
            const headers = { ...(spec.headers ?? {}) };
            if (authorization && new URL(url).origin === origin)
                headers.authorization = authorization;
            return this.transport.send({
                method: spec.method,
                url,
                headers,
                body,
                signal: spec.signal,
            });
        };
        let authorization = await this.auth.authorize(registry, spec.scopes);
        let res = await send(spec.url, authorization, spec.body);
        if (res.status === 401) {
            const challenge = res.headers['www-authenticate'];
            await dump(res);
            if (spec.body instanceof external_node_stream_.Readable) {
                // A stream is spent: the upload starts over (the token cache now knows the challenge).
                throw new RetryableStatusError(401, res.headers, '', undefined);
            }
            authorization = await this.auth.challenge(registry, challenge, spec.scopes, authorization, spec.url);
            res = await send(spec.url, authorization, spec.body);
        }
        else if (!authorization && res.status < 400) {
            this.auth.markAnonymous(registry);
        }
        let url = spec.url;
        for (let hops = 0; spec.followRedirects && REDIRECT_STATUSES.has(res.status); hops++) {
            const location = header(res.headers, 'location');
            if (!location || hops >= MAX_REDIRECTS)
                break;
            await dump(res);
            const next = new URL(location, url);
            // The redirect target (often a presigned storage URL) is not logged: its query is a credential.
            this.logger?.debug(`${spec.operation}: redirected to ${next.host}`);
            url = next.toString();
            res = await send(url, authorization);
        }
        // Path only: upload Locations carry session state and storage URLs carry signatures.
        const where = new URL(url);
        this.logger?.debug(`${spec.method} ${where.origin === origin ? where.pathname : `${where.host} (redirect target)`}: HTTP ${res.status}`);
        return res;
    }
    /** exchange + retries + error mapping; `handle` reads the response (and may throw). */
    async call(spec, handle, options = {}) {
        const once = async () => {
            const res = await this.exchange(spec);
            await this.transport.throwIfRetryable(res);
            return handle(res);
        };
        try {
            return options.retry === false ? await once() : await this.transport.retrying(spec.operation, once);
        }
        catch (err) {
            if (err instanceof RetryableStatusError) {
                const kind = /\/blobs\//.test(spec.url) ? 'blob' : /\/manifests\//.test(spec.url) ? 'manifest' : 'repository';
                throw await this.statusError(spec.operation, err.response.status, err.response.headers, err.response.text, { repo: spec.repo, action: spec.action, kind }, err);
            }
            throw this.wrap(spec.operation, err);
        }
    }
    /** Any error as a RegistryError for this operation, with every known secret scrubbed. */
    wrap(operation, err) {
        if (err instanceof RegistryError) {
            if (err instanceof AuthError || err.operation !== operation) {
                return new RegistryError(operation, this.redact(err.message), {
                    status: err.status,
                    code: err.code,
                    cause: err,
                });
            }
            return err;
        }
        if (err instanceof RetryableStatusError) {
            return new RegistryError(operation, `the registry answered HTTP ${err.status}`, {
                status: err.status,
                cause: err,
            });
        }
        if (err instanceof DigestMismatchError || (err instanceof Error && err.name === 'SizeMismatchError')) {
            return new RegistryError(operation, err.message, { cause: err });
        }
        if (isRetryableNetworkError(err)) {
            return new RegistryError(operation, `connection failed: ${this.redact(describeNetworkError(err))}`, {
                cause: err,
            });
        }
        if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)) {
            return new RegistryError(operation, this.redact(err.message), { cause: err });
        }
        return err instanceof Error ? err : new Error(String(err));
    }
    redact(text) {
        let out = text;
        for (const secret of this.auth.secrets)
            if (secret.length >= 4)
                out = out.split(secret).join('***');
        return out;
    }
    async responseError(operation, res, repo, action, kind, text) {
        const body = text ?? (await readText(res, 64 * 1024));
        return this.statusError(operation, res.status, res.headers, body, { repo, action, kind });
    }
    async statusError(operation, status, headers, text, context, cause) {
        const { code, message } = parseOciError(text);
        const { registry, repository } = context.repo;
        const name = `${registry}/${repository}`;
        const kind = context.kind ?? 'manifest';
        const credentialed = await this.auth.hasCredential(registry).catch(() => false);
        let explanation;
        switch (status) {
            case 401:
                if (!credentialed) {
                    explanation = `authentication required: no credentials were found for ${registry} (log in with registry-login or docker login, or pass credentials)`;
                }
                else if (this.auth.scheme(registry) === 'bearer') {
                    explanation = `denied: the credentials lack ${context.action} permission on ${name}`;
                }
                else {
                    explanation = `authentication failed for ${registry}: check the username/password`;
                }
                break;
            case 403:
                explanation = credentialed
                    ? `denied: the credentials lack ${context.action} permission on ${name}`
                    : `denied: anonymous ${context.action} is not allowed on ${name}`;
                break;
            case 404:
                explanation =
                    code === 'NAME_UNKNOWN'
                        ? `repository ${name} not found`
                        : code === 'BLOB_UNKNOWN' || kind === 'blob'
                            ? 'blob unknown'
                            : code === 'MANIFEST_UNKNOWN' || kind === 'manifest'
                                ? 'manifest unknown'
                                : 'not found';
                break;
            case 429:
                explanation = 'too many requests: the registry kept throttling';
                break;
            default:
                explanation = status >= 500 ? `the registry failed (HTTP ${status})` : `the registry refused the request`;
        }
        const answered = [`HTTP ${status}`, code, message ? `${message}` : undefined].filter(Boolean).join(' ');
        const www = headers['www-authenticate'];
        const scopeHint = status === 401 && typeof www === 'string' && /insufficient_scope/.test(www) ? ', insufficient scope' : '';
        return new RegistryError(operation, this.redact(`${explanation} (${answered}${scopeHint})`), {
            status,
            code,
            cause,
        });
    }
}


/***/ })

};
