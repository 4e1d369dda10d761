import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae, parseEnvelope, signEnvelope, verifyEnvelope } from '#shared/sigstore/dsse.js';

describe('DSSE', () => {
  it('encodes PAE as the DSSE specification example does', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    expect(pae('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });

  it('signs and verifies; another key, another payload or another type fail', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const env = signEnvelope('application/vnd.in-toto+json', Buffer.from('{"a":1}'), privateKey);
    expect(verifyEnvelope(env, publicKey)).toBe(true);
    expect(verifyEnvelope(env, other)).toBe(false);
    expect(verifyEnvelope({ ...env, payload: Buffer.from('{"a":2}').toString('base64') }, publicKey)).toBe(false);
    expect(verifyEnvelope({ ...env, payloadType: 'text/plain' }, publicKey)).toBe(false);
    expect(verifyEnvelope({ ...env, signatures: [{ keyid: '', sig: 'AAAA' }] }, publicKey)).toBe(false);
  });

  it.each([
    ['not JSON', '{'],
    ['no payload', '{"payloadType":"x","signatures":[]}'],
    ['signatures not a list', '{"payloadType":"x","payload":"","signatures":{}}'],
  ])('parseEnvelope: %s is no envelope', (_name, text) => {
    expect(parseEnvelope(text)).toBeUndefined();
  });
});
