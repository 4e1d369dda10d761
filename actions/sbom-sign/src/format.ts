// Which layout the signatures go to. `format: auto` asks the registry: one that answers the OCI
// 1.1 referrers API gets Sigstore bundles as referrers (what cosign v3 writes and finds), one
// without it gets cosign's legacy `.sig` / `.att` tags, which every cosign version finds there.
// The probe is one GET of the referrers of the image digest.
import type { KeyObject } from 'node:crypto';
import { ConfigurationError } from '#shared/errors.js';
import type { RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { referrersTag } from '#shared/oci/referrers.js';
import { bundleKeyProblem } from '#shared/sigstore/key-bundle.js';
import type { SignatureFormat, SignMode } from './inputs.js';

export interface ResolvedFormat {
  format: SignatureFormat;
  /** one sentence for the log: why this format */
  reason: string;
}

export async function resolveFormat(
  client: Pick<RegistryClient, 'referrersApi'>,
  repo: RepositoryRef,
  digest: string,
  requested: SignatureFormat | 'auto',
  sign: SignMode,
  key: KeyObject | undefined,
): Promise<ResolvedFormat> {
  const problem = sign === 'key' && key ? bundleKeyProblem(key) : undefined;
  if (requested !== 'auto') {
    if (requested === 'bundle' && problem)
      throw new ConfigurationError(`'bundle' cannot be used: ${problem}`, 'format');
    return { format: requested, reason: `format: ${requested}` };
  }
  if (sign === 'none') return { format: 'legacy', reason: 'nothing is signed (sign: none)' };
  if (problem) return { format: 'legacy', reason: `format: auto, and ${problem.replace(/ \(use .*\)$/, '')}` };
  const api = (await client.referrersApi(repo, digest)) !== null;
  if (api) return { format: 'bundle', reason: 'format: auto, and the registry answers the OCI referrers API' };
  return {
    format: 'legacy',
    reason: `format: auto, and the registry has no OCI referrers API (cosign's ${referrersTag(digest)}.sig / .att tags)`,
  };
}
