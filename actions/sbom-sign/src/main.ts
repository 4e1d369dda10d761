// Orchestration of sbom-sign: inputs -> digest -> SBOM (generated or given, validated) ->
// signature and attestations attached in cosign's layout -> outputs and job summary.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionLogger, debug, group, info, maskSecret, warning } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { addParagraph, writeSummary } from '#shared/action/summary.js';
import { artifactUploader } from '#shared/artifacts/upload.js';
import { actionsCache } from '#shared/cache/actions-cache.js';
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { runCommand } from '#shared/exec.js';
import {
  type Descriptor,
  formatPlatform,
  indexManifests,
  RegistryClient,
  type RepositoryRef,
} from '#shared/oci/client.js';
import { isIndexMediaType } from '#shared/oci/media-types.js';
import { formatReference } from '#shared/oci/reference.js';
import {
  buildContextFromEnv,
  imageStatement,
  PredicateType,
  type Statement,
  slsaProvenance,
} from '#shared/sigstore/in-toto.js';
import { COSIGN_SIGN_PREDICATE, pushBundleReferrer } from '#shared/sigstore/bundle-referrer.js';
import { SIGNATURE_ANNOTATION } from '#shared/sigstore/cosign-legacy.js';
import { actionsIdToken, createKeylessSigner } from '#shared/sigstore/keyless.js';
import { KeyError, loadPrivateKey, type SigningKey } from '#shared/sigstore/keys.js';
import { resolveTrivyExecutable } from '#shared/trivy/install.js';
import { type SignedFile, writeArtifactFiles } from './artifact.js';
import { attachLegacy } from './attach.js';
import { getInputs, type SbomSignInputs } from './inputs.js';
import { parseSbom, SbomError, type SbomInfo } from './sbom.js';
import { attachBundles } from './attach-bundle.js';
import { resolveFormat } from './format.js';
import { signWithKeyBundles } from './key-bundles.js';
import { writeKeylessSummary, writeSignSummary } from './summary.js';
import { type SbomGenerator, TrivySbomGenerator } from './trivy.js';
import { vulnPredicate } from './vuln.js';

/** The `iss` claim of a JWT (for the summary's cosign command); undefined when unreadable. */
export function tokenIssuer(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iss?: unknown;
    };
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

/** The platform images of an index (attestation manifests left out); [] for a single image. */
async function platformManifests(client: RegistryClient, repo: RepositoryRef, root: Descriptor): Promise<Descriptor[]> {
  if (!isIndexMediaType(root.mediaType)) return [];
  const index = await client.getManifest(repo, root.digest);
  return indexManifests(index).filter(
    (d) =>
      !isIndexMediaType(d.mediaType) &&
      d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
      d.platform?.os !== 'unknown',
  );
}

export interface SbomResult {
  path: string;
  digest: string;
  info: SbomInfo;
}

async function loadKey(inputs: SbomSignInputs): Promise<SigningKey | undefined> {
  if (inputs.sign !== 'key' || inputs.key === undefined) return undefined;
  try {
    return await loadPrivateKey(inputs.key, inputs.keyPassword);
  } catch (err) {
    if (err instanceof KeyError) throw new ConfigurationError(err.message, 'key');
    throw err;
  }
}

export async function produceSbom(
  inputs: SbomSignInputs,
  imageRef: string,
  generator: SbomGenerator,
  workDir: string,
): Promise<SbomResult | undefined> {
  if (inputs.sbom.kind === 'none') return undefined;
  let path: string;
  if (inputs.sbom.kind === 'generate') {
    path = join(workDir, `sbom.${inputs.sbomFormat === 'spdx-json' ? 'spdx' : 'cdx'}.json`);
    info(`Generating the ${inputs.sbomFormat} SBOM of ${imageRef}`);
    await generator.generate(imageRef, inputs.sbomFormat, path);
  } else {
    path = inputs.sbom.path;
  }
  const bytes = await readFile(path);
  let parsed: SbomInfo;
  try {
    parsed = parseSbom(bytes, inputs.sbomFormat);
  } catch (err) {
    if (!(err instanceof SbomError)) throw err;
    if (inputs.sbom.kind === 'file') throw new ConfigurationError(`'${path}' ${err.message}`, 'sbom');
    throw new OperationError(`checking the SBOM the generator wrote to ${path}`, err.message);
  }
  return { path, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, info: parsed };
}

/** `upload-artifact: true`: the SBOM and what was signed, through the suite's one uploader. */
async function uploadArtifact(
  inputs: SbomSignInputs,
  workDir: string,
  sbom: SbomResult | undefined,
  signed: readonly SignedFile[],
): Promise<void> {
  if (inputs.artifactName === undefined) return;
  const dir = join(workDir, 'artifact');
  const files = await writeArtifactFiles(dir, sbom?.path, signed);
  if (files.length === 0) return;
  const result = await group('Artifact', () =>
    artifactUploader(process.env).upload(inputs.artifactName as string, files, dir),
  );
  info(result.note);
  addParagraph(result.note);
}

export async function main(): Promise<void> {
  const inputs = getInputs();
  debug(
    `inputs: image=${formatReference(inputs.image)} sbom=${inputs.sbom.kind === 'file' ? inputs.sbom.path : inputs.sbom.kind} sbom-format=${inputs.sbomFormat} sign=${inputs.sign} attest=${inputs.attest.join(',') || 'none'} format=${inputs.format} trivy=${inputs.trivy.path ?? `install ${inputs.trivy.version}`}`,
  );
  const key = await loadKey(inputs);
  const client = new RegistryClient({
    logger: actionLogger,
    maskSecret,
    userAgent: 'container-image-actions/sbom-sign',
  });
  try {
    const repo = { registry: inputs.image.registry, repository: inputs.image.repository };
    const reference = inputs.image.digest ?? inputs.image.tag!;
    const found = await client.headManifest(repo, reference);
    if (!found) throw new OperationError(`resolving ${formatReference(inputs.image)}`, 'the image does not exist');
    if (inputs.image.digest && found.digest !== inputs.image.digest) {
      throw new OperationError(`resolving ${formatReference(inputs.image)}`, `the registry answered ${found.digest}`);
    }
    const digest = found.digest;
    const pinned = formatReference({ ...repo, digest });
    info(inputs.image.digest ? `Image ${pinned}` : `Image ${formatReference(inputs.image)} is ${pinned}`);
    const format = await resolveFormat(client, repo, digest, inputs.format, inputs.sign, key?.publicKey);
    if (inputs.sign !== 'none') info(`Signature format ${format.format}: ${format.reason}`);
    if (inputs.keyRekorUrl && format.format === 'legacy') {
      warning('rekor-url: the legacy layout has no transparency log entry; the signatures are not logged');
    }

    // before any work: a keyless run without the id-token permission cannot end well; the token
    // itself is fetched only when signing (it is short-lived, and SBOM generation takes time)
    if (inputs.sign === 'keyless' && !process.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
      throw new OperationError(
        'keyless signing',
        "ACTIONS_ID_TOKEN_REQUEST_URL is not set: the job needs 'permissions: id-token: write' (or use sign: key)",
      );
    }
    const workDir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'sbom-sign-'));
    const sbom = await group('SBOM', async () => {
      // installed only when it will run: a given SBOM file needs no Trivy
      const generator: SbomGenerator = {
        generate: async (image, format, output) => {
          const trivy = await resolveTrivyExecutable(inputs.trivy, {
            env: process.env,
            cache: actionsCache(actionLogger, process.env),
            logger: actionLogger,
          });
          await new TrivySbomGenerator(trivy, runCommand).generate(image, format, output);
        },
      };
      return produceSbom(inputs, pinned, generator, workDir);
    });
    if (sbom) {
      info(`SBOM ${sbom.path}: ${sbom.info.version}, ${sbom.info.packages} packages, ${sbom.digest}`);
    }

    const statements: Statement[] = [];
    const name = `${repo.registry}/${repo.repository}`;
    for (const kind of inputs.attest) {
      if (kind === 'sbom' && sbom)
        statements.push(imageStatement(name, digest, sbom.info.predicateType, sbom.info.document));
      if (kind === 'provenance') {
        const context = buildContextFromEnv(process.env);
        if (!context) {
          throw new OperationError(
            'building the provenance attestation',
            'GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_RUN_ID and GITHUB_WORKFLOW_REF are not all set (is this a GitHub Actions job?)',
          );
        }
        statements.push(imageStatement(name, digest, PredicateType.slsaProvenance, slsaProvenance(context)));
      }
      if (kind === 'vuln' && inputs.vulnReport) {
        const report = await readFile(inputs.vulnReport);
        statements.push(imageStatement(name, digest, PredicateType.vuln, vulnPredicate(report, inputs.vulnReport)));
      }
    }

    if (inputs.sign === 'keyless' && inputs.keyless) {
      const keyless = inputs.keyless;
      let issuer: string | undefined;
      let token: Promise<string> | undefined;
      const getToken = () => {
        token ??= actionsIdToken(process.env, 'sigstore', maskSecret).then((t) => {
          issuer = tokenIssuer(t);
          return t;
        });
        return token;
      };
      if (format.format === 'legacy') {
        // loaded only for this mode: key-based and bundle runs never parse it
        const { signKeylessLegacy } = await import('./sign-keyless-legacy.js');
        const signed = await group('Signing (keyless, legacy layout)', () =>
          signKeylessLegacy({
            client,
            repo,
            digest,
            name,
            pinned,
            sbom,
            statements,
            keyless,
            getToken,
            issuer: () => issuer,
            platforms: async () => (inputs.signPlatforms ? platformManifests(client, repo, found) : []),
          }),
        );
        await uploadArtifact(inputs, workDir, sbom, signed);
        await writeSummary();
        return;
      }
      const signer = await createKeylessSigner({ ...keyless, getToken });
      const subject = { mediaType: found.mediaType, digest, size: found.size };
      const bundles = await group('Signing (keyless)', () =>
        attachBundles(
          client,
          repo,
          subject,
          signer,
          imageStatement(name, digest, COSIGN_SIGN_PREDICATE, {}),
          statements,
        ),
      );
      if (inputs.signPlatforms) {
        for (const child of await platformManifests(client, repo, found)) {
          const signed = await signer.sign(imageStatement(name, child.digest, COSIGN_SIGN_PREDICATE, {}));
          const pushed = await pushBundleReferrer(client, repo, child, signed.bundle, COSIGN_SIGN_PREDICATE);
          info(
            `Platform ${child.platform ? formatPlatform(child.platform) : 'unknown'} ${child.digest}: signature bundle ${name}@${pushed.digest}`,
          );
        }
      }
      const where = (b: { listedBy: string }) =>
        b.listedBy === 'referrers-api' ? 'the referrers API' : `the referrers tag ${b.listedBy}`;
      info(
        `Signature bundle ${name}@${bundles.signature.digest} for ${bundles.identity ?? 'an unknown identity'}, listed by ${where(bundles.signature)}`,
      );
      for (const a of bundles.attestations)
        info(`Attestation ${a.predicateType} bundle ${name}@${a.digest}, listed by ${where(a)}`);
      setOutputs({
        digest,
        sbom: sbom?.path ?? '',
        'sbom-digest': sbom?.digest ?? '',
        signature: `${name}@${bundles.signature.digest}`,
        attestations: bundles.attestations.map((a) => ({
          predicateType: a.predicateType,
          digest: a.digest,
          reference: `${name}@${a.digest}`,
          status: 'created',
        })),
        'certificate-identity': bundles.identity ?? '',
        'rekor-log-index': bundles.signature.logIndex ?? '',
      });
      writeKeylessSummary({ pinned, sbom, bundles, issuer, where });
      await uploadArtifact(inputs, workDir, sbom, [
        { kind: 'bundle', role: 'signature', predicateType: COSIGN_SIGN_PREDICATE, json: bundles.signature.bundle },
        ...bundles.attestations.map(
          (a): SignedFile => ({ kind: 'bundle', role: 'attestation', predicateType: a.predicateType, json: a.bundle }),
        ),
      ]);
      await writeSummary();
      return;
    }

    if (key && format.format === 'bundle') {
      const files = await signWithKeyBundles({
        client,
        repo,
        image: { mediaType: found.mediaType, digest, size: found.size },
        name,
        pinned,
        key,
        rekorUrl: inputs.keyRekorUrl,
        statements,
        sbom,
        platforms: async () => (inputs.signPlatforms ? platformManifests(client, repo, found) : []),
      });
      await uploadArtifact(inputs, workDir, sbom, files);
      await writeSummary();
      return;
    }

    const attached = key
      ? await group('Signing', () =>
          attachLegacy(client, repo, digest, key.publicKey, key.privateKey, statements, { sign: true }),
        )
      : { attestations: [] };
    if (key && inputs.signPlatforms) {
      for (const child of await platformManifests(client, repo, found)) {
        const done = await attachLegacy(client, repo, child.digest, key.publicKey, key.privateKey, [], { sign: true });
        info(
          `Platform ${child.platform ? formatPlatform(child.platform) : 'unknown'} ${child.digest}: signature ${done.signature?.status} in ${name}:${done.signature?.tag}`,
        );
      }
    }
    if (attached.signature) {
      info(
        `Signature ${attached.signature.status} in ${name}:${attached.signature.tag} (layer ${attached.signature.layerDigest})`,
      );
    }
    for (const a of attached.attestations) info(`Attestation ${a.predicateType} ${a.status} in ${name}:${a.tag}`);

    setOutputs({
      digest,
      sbom: sbom?.path ?? '',
      'sbom-digest': sbom?.digest ?? '',
      signature: attached.signature ? `${name}:${attached.signature.tag}` : '',
      attestations: attached.attestations.map((a) => ({
        predicateType: a.predicateType,
        digest: a.layerDigest,
        reference: `${name}:${a.tag}`,
        status: a.status,
      })),
      'certificate-identity': '',
      'rekor-log-index': '',
    });
    writeSignSummary({ pinned, digest, sbom, attached, keySource: key?.source });
    const signed: SignedFile[] = [];
    if (attached.signature) {
      const layer = attached.signature.layer;
      signed.push({
        kind: 'signature',
        payload: layer.payload,
        signatureBase64: layer.annotations[SIGNATURE_ANNOTATION] ?? '',
      });
    }
    for (const a of attached.attestations)
      signed.push({ kind: 'attestation', predicateType: a.predicateType, envelope: a.layer.payload });
    await uploadArtifact(inputs, workDir, sbom, signed);
    await writeSummary();
  } finally {
    await client.close();
  }
}
