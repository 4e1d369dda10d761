// DSSE envelopes (Dead Simple Signing Envelope), the wrapper cosign and Sigstore bundles put
// around in-toto statements: the signature covers the pre-authentication encoding (PAE) of
// payload type and payload, never the JSON around them.
import { type KeyObject, sign, verify } from 'node:crypto';
import { signingHash } from './keys.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseEnvelope {
  payloadType: string;
  /** base64 */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

/** `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function signEnvelope(payloadType: string, payload: Buffer, key: KeyObject): DsseEnvelope {
  const sig = sign(signingHash(key) ?? null, pae(payloadType, payload), key);
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] };
}

/** Reads an envelope from JSON text; undefined when it is not one. */
export function parseEnvelope(text: string): DsseEnvelope | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const e = doc as Partial<DsseEnvelope> | null;
  if (!e || typeof e.payloadType !== 'string' || typeof e.payload !== 'string' || !Array.isArray(e.signatures)) {
    return undefined;
  }
  const signatures = e.signatures.filter(
    (s): s is { keyid: string; sig: string } => typeof s?.sig === 'string' && s.sig !== '',
  );
  return { payloadType: e.payloadType, payload: e.payload, signatures };
}

/** True when one of the envelope's signatures verifies with the key. */
export function verifyEnvelope(envelope: DsseEnvelope, key: KeyObject): boolean {
  const message = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
  return envelope.signatures.some((s) => {
    try {
      return verify(signingHash(key) ?? null, message, key, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
}
