export const id = 802;
export const ids = [802];
export const modules = {

/***/ 82802:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  signKeylessLegacy: () => (/* binding */ signKeylessLegacy)
});

// EXTERNAL MODULE: ./shared/src/action/log.ts
var log = __webpack_require__(93724);
// EXTERNAL MODULE: ./shared/src/action/outputs.ts
var outputs = __webpack_require__(3760);
// EXTERNAL MODULE: ./shared/src/oci/client.ts + 5 modules
var client = __webpack_require__(82450);
// EXTERNAL MODULE: ./shared/src/sigstore/bundle-referrer.ts
var bundle_referrer = __webpack_require__(96978);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./shared/src/errors.ts
var errors = __webpack_require__(33904);
// EXTERNAL MODULE: ./shared/src/oci/referrers.ts
var referrers = __webpack_require__(36509);
// EXTERNAL MODULE: ./shared/src/sigstore/cosign-legacy.ts
var cosign_legacy = __webpack_require__(54767);
// EXTERNAL MODULE: ./shared/src/sigstore/dsse.ts
var dsse = __webpack_require__(30725);
;// CONCATENATED MODULE: ./shared/src/sigstore/foreign-text.ts
// Strings read from a registry (artifact types, subject digests, predicate types, certificate
// identities) end up in gate verdicts, logs and errors: they are data, so control characters are
// shown escaped (a newline can never start a workflow command) and length is bounded.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
function foreignText(value, max = 200) {
    const text = typeof value === 'string' ? value : String(value);
    const escaped = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

// EXTERNAL MODULE: ./shared/src/sigstore/in-toto.ts
var in_toto = __webpack_require__(65944);
;// CONCATENATED MODULE: ./shared/src/sigstore/cosign-keyless.ts
// cosign 2.x keyless signatures in the legacy tag layout, both ways. A keyless `.sig` layer is the
// simple-signing payload with its signature, the Fulcio certificate and chain, the Rekor entry as
// a "bundle" annotation (`{"SignedEntryTimestamp":…,"Payload":{"body":…,"integratedTime":…,
// "logIndex":…,"logID":…}}`) and an RFC 3161 timestamp (`{"SignedRFC3161Timestamp":…}`); a `.att`
// layer is a DSSE envelope with the same annotations and an empty signature annotation.
// Writing: the annotations are made from a Sigstore bundle. Reading: each layer is turned back
// into a Sigstore bundle v0.1 (the SET is the inclusion promise, the body the canonicalized body)
// and verified with @sigstore/verify, then the signed claim must name the image digest.
//
// One difference from bundles is kept on purpose: cosign 2.x timestamps an attestation's whole
// envelope JSON (the layer blob), not the DSSE signature, and checks it that way; the reader does
// the same (see `timestamped`).








const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
const RFC3161_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';
const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
const MAX_LAYER_BYTES = (/* unused pure expression or super */ null && (32 * 1024 * 1024));
/** A DER certificate as PEM, the way Go's pem.Encode writes it (64 columns, final newline). */
function toPem(der) {
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
/** The DER bodies of every certificate in PEM text, in order. */
function pemCertificates(text) {
    const out = [];
    for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
        out.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
    }
    return out;
}
/** cosign's Rekor "bundle" annotation for a log entry, fields in the order Go marshals them. */
function rekorBundleAnnotation(entry) {
    const set = entry.inclusionPromise?.signedEntryTimestamp;
    if (!set)
        throw new Error('the log entry carries no signed entry timestamp');
    return JSON.stringify({
        SignedEntryTimestamp: set,
        Payload: {
            body: entry.canonicalizedBody,
            integratedTime: Number(entry.integratedTime),
            logIndex: Number(entry.logIndex),
            logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
        },
    });
}
/** cosign's timestamp annotation: the DER TimeStampResp, base64 (Go's []byte in JSON). */
function rfc3161Annotation(signedTimestamp) {
    return JSON.stringify({ SignedRFC3161Timestamp: signedTimestamp });
}
/**
 * The certificate, chain, Rekor and timestamp annotations for what a Sigstore bundle witnessed.
 * `chainPem` is Fulcio's chain above the leaf (a bundle holds the leaf only).
 */
function keylessAnnotations(bundle, chainPem, timestamps) {
    const material = bundle.verificationMaterial;
    const leaf = material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates?.[0]?.rawBytes ?? undefined;
    if (!leaf)
        throw new Error('the bundle holds no certificate');
    const out = {
        [cosign_legacy/* CERTIFICATE_ANNOTATION */.oZ]: toPem(Buffer.from(leaf, 'base64')),
        [CHAIN_ANNOTATION]: chainPem,
    };
    // bundleToJSON leaves out an empty list
    const entry = material.tlogEntries?.[0];
    if (entry)
        out[REKOR_BUNDLE_ANNOTATION] = rekorBundleAnnotation(entry);
    const first = timestamps[0];
    if (first)
        out[RFC3161_ANNOTATION] = rfc3161Annotation(first);
    return out;
}
// biome-ignore lint/suspicious/noExplicitAny: foreign JSON, checked field by field
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
const isB64 = (s) => typeof s === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
/** The tlog entry of a cosign Rekor "bundle" annotation, or the reason it cannot be one. */
function tlogEntryFromAnnotation(text) {
    const doc = parseJson(text);
    const payload = doc?.Payload;
    if (!doc || typeof payload !== 'object' || payload === null)
        return { reason: 'its Rekor bundle is not JSON' };
    const { body, integratedTime, logIndex, logID } = payload;
    if (!isB64(doc.SignedEntryTimestamp) ||
        !isB64(body) ||
        !Number.isSafeInteger(integratedTime) ||
        !Number.isSafeInteger(logIndex) ||
        typeof logID !== 'string' ||
        !/^[0-9a-f]+$/i.test(logID)) {
        return { reason: 'its Rekor bundle lacks a field (SignedEntryTimestamp, body, integratedTime, logIndex, logID)' };
    }
    const entryBody = parseJson(Buffer.from(body, 'base64').toString('utf8'));
    if (typeof entryBody?.kind !== 'string' || typeof entryBody?.apiVersion !== 'string') {
        return { reason: 'its Rekor entry body names no kind and version' };
    }
    return {
        entry: {
            logIndex: String(logIndex),
            logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
            kindVersion: { kind: entryBody.kind, version: entryBody.apiVersion },
            integratedTime: String(integratedTime),
            inclusionPromise: { signedEntryTimestamp: doc.SignedEntryTimestamp },
            canonicalizedBody: body,
        },
    };
}
/** The certificate (or key) a Rekor entry body records for its signature, base64 of PEM. */
function bodyVerifier(body) {
    // biome-ignore lint/suspicious/noExplicitAny: foreign JSON, checked field by field
    const b = body;
    switch (b?.kind) {
        case 'hashedrekord':
            return b.spec?.signature?.publicKey?.content;
        case 'dsse':
            return b.spec?.signatures?.[0]?.verifier;
        case 'intoto':
            // v0.0.1 records the key beside the content, v0.0.2 with each envelope signature
            return b.spec?.publicKey ?? b.spec?.content?.envelope?.signatures?.[0]?.publicKey;
        default:
            return undefined;
    }
}
/**
 * Whether the log entry recorded the layer's certificate, as cosign checks it (the verifier of
 * the bundle only compares signatures and digests).
 */
function entryCertificateProblem(annotation, leaf) {
    const doc = parseJson(annotation);
    const body = parseJson(Buffer.from(String(doc?.Payload?.body ?? ''), 'base64').toString('utf8'));
    const recorded = bodyVerifier(body);
    if (typeof recorded !== 'string')
        return 'its Rekor entry records no certificate';
    return recordsCertificate(recorded, leaf) ? undefined : 'its Rekor entry records another certificate';
}
function recordsCertificate(recorded, leaf) {
    const pem = Buffer.from(recorded, 'base64').toString('utf8');
    const cert = pemCertificates(pem)[0];
    if (cert)
        return cert.equals(leaf);
    try {
        const key = (0,external_node_crypto_.createPublicKey)(pem).export({ format: 'der', type: 'spki' });
        return key.equals(new external_node_crypto_.X509Certificate(leaf).publicKey.export({ format: 'der', type: 'spki' }));
    }
    catch {
        return false;
    }
}
/**
 * A cosign keyless layer (payload + annotations) as a Sigstore bundle v0.1. Layers without a
 * certificate are not keyless (key-based layers are for `public-key`).
 */
function layerToBundle(layer) {
    const a = layer.annotations ?? {};
    const leaf = pemCertificates(a[cosign_legacy/* CERTIFICATE_ANNOTATION */.oZ] ?? '')[0];
    if (!leaf)
        return { reason: 'it carries no certificate (not a keyless signature)' };
    const chain = pemCertificates(a[CHAIN_ANNOTATION] ?? '');
    const tlogEntries = [];
    const rekor = a[REKOR_BUNDLE_ANNOTATION];
    if (rekor !== undefined) {
        const converted = tlogEntryFromAnnotation(rekor);
        if ('reason' in converted)
            return converted;
        const problem = entryCertificateProblem(rekor, leaf);
        if (problem)
            return { reason: problem };
        tlogEntries.push(converted.entry);
    }
    const rfc3161Timestamps = [];
    const ts = a[RFC3161_ANNOTATION];
    if (ts !== undefined) {
        const signed = parseJson(ts)?.SignedRFC3161Timestamp;
        if (!isB64(signed) || signed === '')
            return { reason: 'its RFC 3161 timestamp annotation is not cosign JSON' };
        rfc3161Timestamps.push({ signedTimestamp: signed });
    }
    if (!tlogEntries.length && !rfc3161Timestamps.length) {
        return { reason: 'it carries neither a Rekor entry nor an RFC 3161 timestamp (no trusted signing time)' };
    }
    const verificationMaterial = {
        x509CertificateChain: { certificates: [leaf, ...chain].map((c) => ({ rawBytes: c.toString('base64') })) },
        tlogEntries,
        timestampVerificationData: { rfc3161Timestamps },
    };
    if (layer.mediaType === cosign_legacy/* SIMPLE_SIGNING_MEDIA_TYPE */.$r) {
        const sig = a[cosign_legacy/* SIGNATURE_ANNOTATION */.ZB];
        if (!sig || !isB64(sig))
            return { reason: 'it carries no signature annotation' };
        return {
            bundle: {
                mediaType: BUNDLE_V01_MEDIA_TYPE,
                verificationMaterial,
                messageSignature: {
                    messageDigest: { algorithm: 'SHA2_256', digest: (0,external_node_crypto_.createHash)('sha256').update(layer.payload).digest('base64') },
                    signature: sig,
                },
            },
            artifact: layer.payload,
        };
    }
    if (layer.mediaType === cosign_legacy/* DSSE_MEDIA_TYPE */.OO) {
        const envelope = (0,dsse/* parseEnvelope */.mE)(layer.payload.toString('utf8'));
        if (!envelope)
            return { reason: 'it is not a DSSE envelope' };
        return {
            bundle: {
                mediaType: BUNDLE_V01_MEDIA_TYPE,
                verificationMaterial,
                dsseEnvelope: {
                    payload: envelope.payload,
                    payloadType: envelope.payloadType,
                    signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
                },
            },
            // cosign 2.x timestamps the attestation layer's blob, the whole envelope JSON
            timestamped: layer.payload,
        };
    }
    return { reason: `its media type ${foreignText(layer.mediaType)} is not a cosign signature's` };
}
/**
 * Every keyless layer of `sha256-<hex>.sig` and `.att`, each verified against the trusted root
 * and identity policy of `verifier`, and its claim compared with `digest`. Signature verdicts carry
 * the cosign signature predicate type (the same claim a cosign v3 signature bundle makes); layers
 * without a certificate are left to `public-key`.
 */
async function verifyKeylessLegacy(client, repo, digest, verifier) {
    const verdicts = [];
    for (const kind of ['sig', 'att']) {
        const tag = cosignTag(digest, kind);
        const manifest = await readTag(client, repo, tag);
        if (!manifest)
            continue;
        for (const layer of layersOf(manifest)) {
            if (!layer.annotations?.[CERTIFICATE_ANNOTATION])
                continue;
            const wanted = kind === 'sig' ? SIMPLE_SIGNING_MEDIA_TYPE : DSSE_MEDIA_TYPE;
            if (layer.mediaType !== wanted)
                continue;
            const verdict = await judgeLayer(client, repo, digest, verifier, kind, layer);
            verdicts.push({ ...verdict, layer: `${tag} layer ${layer.digest}`, where: tag });
        }
    }
    return verdicts;
}
async function judgeLayer(client, repo, digest, verifier, kind, layer) {
    const name = layer.digest;
    const announced = kind === 'att' ? layer.annotations?.[PREDICATE_TYPE_ANNOTATION] : COSIGN_SIGN_PREDICATE;
    const refuse = (detail, extra = {}) => {
        const v = { layer: name, valid: false, detail, ...extra };
        if (kind === 'sig')
            v.predicateType = COSIGN_SIGN_PREDICATE;
        return v;
    };
    let payload;
    try {
        payload = await client.getBlobBytes(repo, layer.digest, MAX_LAYER_BYTES);
    }
    catch (err) {
        return refuse(`its payload cannot be read (${f(describeError(err))})`);
    }
    const converted = layerToBundle({ mediaType: layer.mediaType, payload, annotations: layer.annotations });
    if ('reason' in converted)
        return refuse(converted.reason);
    let verified;
    try {
        verified = verifier.verify(converted.bundle, { artifact: converted.artifact, timestamped: converted.timestamped });
    }
    catch (err) {
        return refuse(`it does not verify: ${f(describeError(err), 400)}`);
    }
    const identity = verified.identity;
    const who = `signed by ${f(identity)} (${f(verified.issuer ?? 'no issuer')})`;
    if (kind === 'sig') {
        const claim = checkSimpleSigningPayload(verified.payload, digest);
        if (!claim.ok)
            return refuse(claim.reason, { identity });
        return {
            layer: name,
            valid: true,
            detail: `signature over ${digest} ${who}`,
            predicateType: COSIGN_SIGN_PREDICATE,
            identity,
        };
    }
    const envelope = parseEnvelope(payload.toString('utf8'));
    if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE)
        return refuse('its payload type is not in-toto', { identity });
    const statement = parseStatement(verified.payload);
    if (!statement)
        return refuse('its payload is not an in-toto statement', { identity });
    const predicateType = statement.predicateType;
    if (announced !== undefined && announced !== predicateType) {
        return refuse(`its annotation says ${f(announced)} but it holds ${f(predicateType)}`, { predicateType, identity });
    }
    if (!statementCovers(statement, digest)) {
        return refuse(`it signs another subject than ${digest}`, { predicateType, identity });
    }
    return { layer: name, valid: true, detail: `${f(predicateType)} over ${digest} ${who}`, predicateType, identity };
}

// EXTERNAL MODULE: ./shared/src/oci/digest.ts
var digest = __webpack_require__(88301);
// EXTERNAL MODULE: ./actions/sbom-sign/src/attach.ts
var attach = __webpack_require__(4764);
;// CONCATENATED MODULE: ./actions/sbom-sign/src/attach-keyless-legacy.ts
// Keyless signatures in cosign's legacy tag layout (`sign: keyless`, `format: legacy`): what
// cosign 2.x `sign` / `attest` write without a key. Re-running does not stack duplicates: every
// run gets a new certificate, so "the same" means the same claim (payload, or in-toto statement)
// signed by a certificate for the same identity issued by the same CA as this run's certificate,
// whose signature verifies. An attestation of the same predicate type signed that way is
// replaced, as `cosign attest --replace` does.








const attach_keyless_legacy_MAX_LAYER_BYTES = 32 * 1024 * 1024;
/** The certificate of an existing layer, when it is for our identity and from our certificate's CA. */
function sameSigner(existing, ours) {
    const pem = existing.annotations?.[cosign_legacy/* CERTIFICATE_ANNOTATION */.oZ];
    // a layer without a signing time would not verify: it is not ours to keep in place of a new one
    const timed = existing.annotations?.[REKOR_BUNDLE_ANNOTATION] || existing.annotations?.[RFC3161_ANNOTATION];
    if (!pem || !timed)
        return undefined;
    let cert;
    try {
        cert = new external_node_crypto_.X509Certificate(pem);
    }
    catch {
        return undefined;
    }
    const m = /(?:URI|email):([^,]+)/.exec(cert.subjectAltName ?? '');
    if (!ours.identity || m?.[1] !== ours.identity)
        return undefined;
    const ca = ours.issuer;
    if (ca ? !(cert.checkIssued(ca) && cert.verify(ca.publicKey)) : cert.issuer !== ours.leaf.issuer)
        return undefined;
    return cert;
}
function verifies(cert, message, signatureB64) {
    try {
        return (0,external_node_crypto_.verify)('sha256', message, cert.publicKey, Buffer.from(signatureB64, 'base64'));
    }
    catch {
        return false;
    }
}
async function relateKeylessSignature(existing, payload, ours) {
    if (existing.mediaType !== cosign_legacy/* SIMPLE_SIGNING_MEDIA_TYPE */.$r || existing.digest !== (0,digest/* digestOf */.ol)(ours.payload))
        return 'other';
    const cert = sameSigner(existing, ours.certificate);
    const sig = existing.annotations?.[cosign_legacy/* SIGNATURE_ANNOTATION */.ZB];
    if (!cert || !sig)
        return 'other';
    return verifies(cert, await payload(), sig) ? 'same' : 'other';
}
async function relateKeylessAttestation(existing, payload, ours) {
    if (existing.mediaType !== cosign_legacy/* DSSE_MEDIA_TYPE */.OO)
        return 'other';
    if (existing.annotations?.[cosign_legacy/* PREDICATE_TYPE_ANNOTATION */.nn] !== ours.predicateType)
        return 'other';
    const cert = sameSigner(existing, ours.certificate);
    if (!cert)
        return 'other';
    const envelope = (0,dsse/* parseEnvelope */.mE)((await payload()).toString('utf8'));
    if (!envelope)
        return 'other';
    const theirs = Buffer.from(envelope.payload, 'base64');
    const message = (0,dsse/* pae */.Zg)(envelope.payloadType, theirs);
    if (!envelope.signatures.some((s) => verifies(cert, message, s.sig)))
        return 'other';
    if (theirs.equals(ours.statement))
        return 'same';
    return (0,in_toto/* parseStatement */.By)(theirs)?.predicateType === ours.predicateType ? 'supersedes' : 'other';
}
/** The log index in a layer's Rekor bundle annotation, when it has one. */
function logIndexOf(annotations) {
    try {
        const index = JSON.parse(annotations?.[REKOR_BUNDLE_ANNOTATION] ?? '')?.Payload?.logIndex;
        return Number.isSafeInteger(index) ? String(index) : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * The equal layer already in the tag, looked for before signing: a re-run writes no new log
 * entry for a claim that is already there.
 */
async function findSame(client, repo, tag, relate) {
    let manifest;
    try {
        manifest = await client.getManifest(repo, tag);
    }
    catch (err) {
        if (err.status === 404)
            return undefined;
        throw err;
    }
    const layers = Array.isArray(manifest.json?.layers) ? manifest.json.layers : [];
    for (const layer of layers) {
        if (typeof layer?.digest !== 'string')
            continue;
        const relation = await relate(layer, () => client.getBlobBytes(repo, layer.digest, attach_keyless_legacy_MAX_LAYER_BYTES));
        if (relation === 'same')
            return { manifest: manifest.digest, layer };
    }
    return undefined;
}
async function writeOne(client, repo, digest, kind, relate, make) {
    const tag = (0,referrers/* cosignTag */.qv)(digest, kind);
    const found = await findSame(client, repo, tag, relate);
    if (found) {
        const layer = {
            mediaType: found.layer.mediaType,
            payload: await client.getBlobBytes(repo, found.layer.digest, attach_keyless_legacy_MAX_LAYER_BYTES),
            annotations: found.layer.annotations ?? {},
        };
        const out = {
            tag,
            digest: found.manifest,
            layerDigest: found.layer.digest,
            status: 'unchanged',
            layer,
        };
        const logIndex = logIndexOf(found.layer.annotations);
        return logIndex === undefined ? out : { ...out, logIndex };
    }
    const made = await make();
    const written = await (0,cosign_legacy/* writeLegacyLayer */.mm)(client, repo, digest, kind, made.layer, relate);
    const out = { ...written, layer: made.layer };
    return made.logIndex === undefined ? out : { ...out, logIndex: made.logIndex };
}
async function attachKeylessLegacy(client, repo, digest, signer, statements) {
    const certificate = await signer.certificate();
    const payload = (0,cosign_legacy/* simpleSigningPayload */.Kq)((0,attach/* dockerReference */.S)(repo), digest);
    const signature = await writeOne(client, repo, digest, 'sig', (existing, bytes) => relateKeylessSignature(existing, bytes, { payload, certificate }), async () => {
        const signed = await signer.signPayload(payload);
        return {
            layer: {
                mediaType: cosign_legacy/* SIMPLE_SIGNING_MEDIA_TYPE */.$r,
                payload,
                annotations: { [cosign_legacy/* SIGNATURE_ANNOTATION */.ZB]: signed.signature ?? '', ...signed.annotations },
            },
            ...(signed.logIndex === undefined ? {} : { logIndex: signed.logIndex }),
        };
    });
    const attestations = [];
    for (const statement of statements) {
        const bytes = Buffer.from(JSON.stringify(statement));
        const predicateType = statement.predicateType;
        const written = await writeOne(client, repo, digest, 'att', (existing, blob) => relateKeylessAttestation(existing, blob, { statement: bytes, predicateType, certificate }), async () => {
            const signed = await signer.signStatement(bytes);
            return {
                layer: {
                    mediaType: cosign_legacy/* DSSE_MEDIA_TYPE */.OO,
                    payload: signed.payload,
                    // cosign writes an empty signature annotation on attestation layers
                    annotations: {
                        [cosign_legacy/* SIGNATURE_ANNOTATION */.ZB]: '',
                        [cosign_legacy/* PREDICATE_TYPE_ANNOTATION */.nn]: predicateType,
                        ...signed.annotations,
                    },
                },
                ...(signed.logIndex === undefined ? {} : { logIndex: signed.logIndex }),
            };
        });
        attestations.push({ ...written, predicateType });
    }
    return { identity: certificate.identity, signature, attestations };
}

;// CONCATENATED MODULE: ./actions/sbom-sign/src/keyless-legacy-signer.ts
// Keyless signing for cosign's legacy tag layout, as cosign 2.x does it: one ephemeral P-256 key
// certified by Fulcio for the job's OIDC identity; the simple-signing payload signed as a message
// (Rekor hashedrekord entry, RFC 3161 timestamp over the signature), each attestation as a DSSE
// envelope (Rekor dsse entry, cosign 2.x's default `--rekor-entry-type`, and an RFC 3161
// timestamp over the whole envelope JSON, which is what cosign 2.x timestamps and checks for
// attestations). @sigstore/sign builds and witnesses; Fulcio is asked here because
// @sigstore/sign's FulcioSigner keeps only the leaf, and the layout needs the chain too.




/** The claim Fulcio's proof of possession signs: email when the token has a verified one, else sub. */
function tokenSubject(token) {
    let claims;
    try {
        claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    }
    catch {
        throw new errors/* OperationError */.OK('keyless signing', 'the OIDC token is not a JWT');
    }
    if (typeof claims.email === 'string' && claims.email_verified === true)
        return claims.email;
    if (typeof claims.sub === 'string' && claims.sub)
        return claims.sub;
    throw new errors/* OperationError */.OK('keyless signing', 'the OIDC token has no subject');
}
async function requestCertificate(fulcioUrl, token, key, pub) {
    const operation = `getting a signing certificate from ${fulcioUrl}`;
    const proof = (0,external_node_crypto_.sign)('sha256', Buffer.from(tokenSubject(token)), key).toString('base64');
    let res;
    try {
        res = await fetch(`${fulcioUrl}/api/v2/signingCert`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({
                credentials: { oidcIdentityToken: token },
                publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: pub }, proofOfPossession: proof },
            }),
            signal: AbortSignal.timeout(30_000),
        });
    }
    catch (err) {
        throw new errors/* OperationError */.OK(operation, err.message);
    }
    const text = await res.text();
    if (!res.ok)
        throw new errors/* OperationError */.OK(operation, `HTTP ${res.status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
    // biome-ignore lint/suspicious/noExplicitAny: Fulcio's JSON answer, checked below
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        throw new errors/* OperationError */.OK(operation, 'the answer is not JSON');
    }
    const chain = (doc?.signedCertificateEmbeddedSct ?? doc?.signedCertificateDetachedSct)?.chain?.certificates;
    if (!Array.isArray(chain) || !chain.length || !chain.every((c) => typeof c === 'string')) {
        throw new errors/* OperationError */.OK(operation, 'the answer holds no certificate chain');
    }
    return chain;
}
async function createLegacyKeylessSigner(options) {
    if (!options.rekorUrl && !options.tsaUrl) {
        throw new errors/* OperationError */.OK('keyless signing', 'without a transparency log a timestamp authority is required');
    }
    const { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, TSAWitness } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(878), __webpack_require__.e(88), __webpack_require__.e(463), __webpack_require__.e(275), __webpack_require__.e(179)]).then(__webpack_require__.bind(__webpack_require__, 15179));
    const { bundleToJSON, envelopeToJSON } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(40)]).then(__webpack_require__.bind(__webpack_require__, 61040));
    const { HashAlgorithm } = await __webpack_require__.e(/* import() */ 654).then(__webpack_require__.t.bind(__webpack_require__, 19654, 23));
    const keys = (0,external_node_crypto_.generateKeyPairSync)('ec', { namedCurve: 'P-256' });
    const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    let certified;
    const certificate = () => {
        certified ??= (async () => {
            const chain = await requestCertificate(options.fulcioUrl, await options.getToken(), keys.privateKey, publicPem);
            const leaf = new external_node_crypto_.X509Certificate(chain[0]);
            const m = /(?:URI|email):([^,]+)/.exec(leaf.subjectAltName ?? '');
            // re-encoded the way cosign's MarshalCertificatesToPEM writes them (64 columns)
            const pem = (text) => pemCertificates(text).map(toPem).join('');
            return {
                leafPem: pem(chain[0]),
                chainPem: chain.slice(1).map(pem).join(''),
                identity: m?.[1] ?? '',
                leaf,
                issuer: chain[1] ? new external_node_crypto_.X509Certificate(chain[1]) : undefined,
            };
        })();
        return certified;
    };
    const signer = {
        async sign(data) {
            const cert = await certificate();
            return {
                signature: (0,external_node_crypto_.sign)('sha256', data, keys.privateKey),
                key: { $case: 'x509Certificate', certificate: cert.leafPem },
            };
        },
    };
    const retry = { retries: 2 };
    const rekor = (entryType) => options.rekorUrl
        ? [new RekorWitness({ rekorBaseURL: options.rekorUrl, entryType, retry, timeout: 30_000 })]
        : [];
    const tsa = options.tsaUrl ? new TSAWitness({ tsaBaseURL: options.tsaUrl, retry, timeout: 30_000 }) : undefined;
    const logIndexOf = (b) => b.verificationMaterial.tlogEntries?.[0]?.logIndex;
    const withLogIndex = (m, b) => {
        const logIndex = logIndexOf(b);
        return logIndex === undefined ? m : { ...m, logIndex };
    };
    return {
        certificate,
        async signPayload(payload) {
            const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [...rekor(), ...(tsa ? [tsa] : [])] });
            const json = bundleToJSON(await builder.create({ data: payload }));
            const cert = await certificate();
            const timestamps = (json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => t.signedTimestamp);
            const signature = json.messageSignature?.signature ?? '';
            return withLogIndex({ payload, signature, annotations: keylessAnnotations(json, cert.chainPem, timestamps) }, json);
        },
        async signStatement(statementJson) {
            const builder = new DSSEBundleBuilder({ signer, witnesses: rekor('dsse') });
            const bundle = await builder.create({ data: statementJson, type: dsse/* IN_TOTO_PAYLOAD_TYPE */.T4 });
            if (bundle.content.$case !== 'dsseEnvelope')
                throw new Error('the DSSE bundle holds no envelope');
            // the layer blob is the very envelope text the log entry hashed
            const envelope = Buffer.from(JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope)));
            const json = bundleToJSON(bundle);
            const cert = await certificate();
            const timestamps = [];
            if (tsa) {
                const witnessed = await tsa.testify({
                    $case: 'messageSignature',
                    messageSignature: {
                        messageDigest: {
                            algorithm: HashAlgorithm.SHA2_256,
                            digest: (0,external_node_crypto_.createHash)('sha256').update(envelope).digest(),
                        },
                        signature: envelope,
                    },
                });
                for (const t of witnessed.rfc3161Timestamps ?? [])
                    timestamps.push(Buffer.from(t.signedTimestamp).toString('base64'));
            }
            return withLogIndex({ payload: envelope, annotations: keylessAnnotations(json, cert.chainPem, timestamps) }, json);
        },
    };
}

// EXTERNAL MODULE: ./actions/sbom-sign/src/summary.ts
var summary = __webpack_require__(74457);
;// CONCATENATED MODULE: ./actions/sbom-sign/src/sign-keyless-legacy.ts
// `sign: keyless` with `format: legacy`: sign and attest in cosign's tag layout with a Fulcio
// certificate, then the outputs and the job summary (with the cosign 2.x commands that check it);
// the files for the workflow artifact (the payload, signature, certificate and envelopes, plus
// each layer as a Sigstore bundle v0.1) go back to the caller, which uploads them.









function asBundle(layer) {
    const converted = layerToBundle(layer);
    return 'reason' in converted ? undefined : converted.bundle;
}
/** Signs, sets the outputs and the summary; returns the files for `upload-artifact`. */
async function signKeylessLegacy(run) {
    const signer = await createLegacyKeylessSigner({ ...run.keyless, getToken: run.getToken });
    const attached = await attachKeylessLegacy(run.client, run.repo, run.digest, signer, run.statements);
    const sig = attached.signature;
    (0,log/* info */.pq)(`Signature ${sig.status} in ${run.name}:${sig.tag} (layer ${sig.layerDigest}) for ${attached.identity || 'an unknown identity'}${sig.logIndex ? `, Rekor log index ${sig.logIndex}` : ''}`);
    for (const a of attached.attestations)
        (0,log/* info */.pq)(`Attestation ${a.predicateType} ${a.status} in ${run.name}:${a.tag}`);
    for (const child of await run.platforms()) {
        const done = await attachKeylessLegacy(run.client, run.repo, child.digest, signer, []);
        (0,log/* info */.pq)(`Platform ${child.platform ? (0,client/* formatPlatform */.Bq)(child.platform) : 'unknown'} ${child.digest}: signature ${done.signature.status} in ${run.name}:${done.signature.tag}`);
    }
    (0,outputs/* setOutputs */.n0)({
        digest: run.digest,
        sbom: run.sbom?.path ?? '',
        'sbom-digest': run.sbom?.digest ?? '',
        signature: `${run.name}:${sig.tag}`,
        attestations: attached.attestations.map((a) => ({
            predicateType: a.predicateType,
            digest: a.layerDigest,
            reference: `${run.name}:${a.tag}`,
            status: a.status,
        })),
        'certificate-identity': attached.identity,
        'rekor-log-index': sig.logIndex ?? '',
    });
    (0,summary/* writeKeylessLegacySummary */.pJ)({ pinned: run.pinned, sbom: run.sbom, attached, issuer: run.issuer() });
    const files = [
        {
            kind: 'signature',
            payload: sig.layer.payload,
            signatureBase64: sig.layer.annotations[cosign_legacy/* SIGNATURE_ANNOTATION */.ZB] ?? '',
            certificate: sig.layer.annotations[cosign_legacy/* CERTIFICATE_ANNOTATION */.oZ],
        },
    ];
    const bundle = asBundle(sig.layer);
    if (bundle)
        files.push({ kind: 'bundle', role: 'signature', predicateType: bundle_referrer/* COSIGN_SIGN_PREDICATE */.u, json: bundle });
    for (const a of attached.attestations) {
        files.push({ kind: 'attestation', predicateType: a.predicateType, envelope: a.layer.payload });
        const b = asBundle(a.layer);
        if (b)
            files.push({ kind: 'bundle', role: 'attestation', predicateType: a.predicateType, json: b });
    }
    return files;
}


/***/ })

};
