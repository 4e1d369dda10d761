// The verifier promote's gate runs over Sigstore bundle referrers: keyless bundles (a Fulcio
// certificate) against the trusted root and identity policy, key-signed bundles (a public key
// hint, as cosign v3 `--key` writes them) with `public-key`. Each bundle goes to the verifier of
// the material it carries; a bundle no given input can verify is refused with that reason.
import type { KeyObject } from 'node:crypto';
import { createKeyBundleVerifier } from '#shared/sigstore/key-bundle.js';
import { type BundleVerifier, createBundleVerifier, type IdentityPolicy } from '#shared/sigstore/verify-bundle.js';

export interface BundleVerifierInputs {
  keyless?: { policy: IdentityPolicy; trustedRoot: () => Promise<unknown> } | undefined;
  publicKey?: KeyObject | undefined;
  /** the trusted root holding the logs of key-signed bundles' transparency log entries */
  publicKeyTrustedRoot?: unknown;
}

/** A verifier for the inputs given, built when first asked for; undefined when none verifies bundles. */
export function bundleVerifierFor(inputs: BundleVerifierInputs): (() => Promise<BundleVerifier>) | undefined {
  const { keyless, publicKey } = inputs;
  if (!keyless && !publicKey) return undefined;
  return async () => {
    const trustedRoot = keyless ? await keyless.trustedRoot() : undefined;
    const byCertificate = keyless ? await createBundleVerifier(trustedRoot, keyless.policy) : undefined;
    const byKey = publicKey
      ? await createKeyBundleVerifier(publicKey, inputs.publicKeyTrustedRoot ?? trustedRoot)
      : undefined;
    return {
      // every argument is handed on as it came: the verifiers may take more than the bundle
      verify(...args: Parameters<BundleVerifier['verify']>) {
        const [bundleJson] = args;
        // biome-ignore lint/suspicious/noExplicitAny: foreign JSON, only its shape is looked at
        const material = (bundleJson as any)?.verificationMaterial;
        const keySigned = material && typeof material === 'object' && 'publicKey' in material;
        if (keySigned) {
          if (!byKey) throw new Error('it is signed with a key, and no public-key was given');
          return byKey.verify(...args);
        }
        if (!byCertificate) {
          throw new Error('it is signed keyless (a certificate), and no certificate-identity was given');
        }
        return byCertificate.verify(...args);
      },
    };
  };
}
