import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.js';
import {
  formatReference,
  isDigest,
  isValidTag,
  parseReference,
  type Reference,
  registryApiHost,
  repositoryName,
} from '#shared/oci/reference.js';

const H64 = 'f'.repeat(64);
const H128 = 'e'.repeat(128);
const D256 = `sha256:${H64}`;
const D512 = `sha512:${H128}`;

// Cases after the distribution/reference tables (normalize_test.go, reference_test.go).
const valid: Array<[string, Reference]> = [
  ['test_com', { registry: 'docker.io', repository: 'library/test_com', tag: 'latest' }],
  ['test.com:tag', { registry: 'docker.io', repository: 'library/test.com', tag: 'tag' }],
  ['test.com:5000', { registry: 'docker.io', repository: 'library/test.com', tag: '5000' }],
  ['test.com/repo:tag', { registry: 'test.com', repository: 'repo', tag: 'tag' }],
  ['test:5000/repo', { registry: 'test:5000', repository: 'repo', tag: 'latest' }],
  ['test:5000/repo:tag', { registry: 'test:5000', repository: 'repo', tag: 'tag' }],
  [`test:5000/repo@${D256}`, { registry: 'test:5000', repository: 'repo', digest: D256 }],
  [`test:5000/repo:tag@${D256}`, { registry: 'test:5000', repository: 'repo', tag: 'tag', digest: D256 }],
  ['test:5000/repo', { registry: 'test:5000', repository: 'repo', tag: 'latest' }],
  ['lowercase:Uppercase', { registry: 'docker.io', repository: 'library/lowercase', tag: 'Uppercase' }],
  ['sub-dom1.foo.com/bar/baz/quux', { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux', tag: 'latest' }],
  [
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    { registry: 'sub-dom1.foo.com', repository: 'bar/baz/quux', tag: 'some-long-tag' },
  ],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    { registry: 'b.gcr.io', repository: 'test.example.com/my-app', tag: 'test.example.com' },
  ],
  ['xn--n3h.com/myimage:xn--n3h.com', { registry: 'xn--n3h.com', repository: 'myimage', tag: 'xn--n3h.com' }],
  [
    `xn--7o8h.com/myimage:xn--7o8h.com@${D512}`,
    { registry: 'xn--7o8h.com', repository: 'myimage', tag: 'xn--7o8h.com', digest: D512 },
  ],
  ['foo_bar.com:8080', { registry: 'docker.io', repository: 'library/foo_bar.com', tag: '8080' }],
  ['foo/foo_bar.com:8080', { registry: 'docker.io', repository: 'foo/foo_bar.com', tag: '8080' }],
  ['192.168.1.1', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: 'latest' }],
  ['192.168.1.1:tag', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: 'tag' }],
  ['192.168.1.1:5000', { registry: 'docker.io', repository: 'library/192.168.1.1', tag: '5000' }],
  ['192.168.1.1/repo', { registry: '192.168.1.1', repository: 'repo', tag: 'latest' }],
  ['192.168.1.1:5000/repo', { registry: '192.168.1.1:5000', repository: 'repo', tag: 'latest' }],
  ['192.168.1.1:5000/repo:5050', { registry: '192.168.1.1:5000', repository: 'repo', tag: '5050' }],
  ['[2001:db8::1]/repo', { registry: '[2001:db8::1]', repository: 'repo', tag: 'latest' }],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', { registry: '[2001:db8:1:2:3:4:5:6]', repository: 'repo', tag: 'tag' }],
  ['[2001:db8::1]:5000/repo', { registry: '[2001:db8::1]:5000', repository: 'repo', tag: 'latest' }],
  ['[2001:db8::]:5000/repo', { registry: '[2001:db8::]:5000', repository: 'repo', tag: 'latest' }],
  ['[::1]:5000/repo', { registry: '[::1]:5000', repository: 'repo', tag: 'latest' }],
  ['localhost/repo', { registry: 'localhost', repository: 'repo', tag: 'latest' }],
  ['localhost:5000/repo:tag', { registry: 'localhost:5000', repository: 'repo', tag: 'tag' }],
  ['127.0.0.1:5001/a/b/c:v1', { registry: '127.0.0.1:5001', repository: 'a/b/c', tag: 'v1' }],
  ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
  ['nginx:1.25-alpine', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25-alpine' }],
  ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
  ['docker.io/library/ubuntu', { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' }],
  ['index.docker.io/ubuntu', { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' }],
  ['registry-1.docker.io/foo/bar:1', { registry: 'docker.io', repository: 'foo/bar', tag: '1' }],
  ['foo/bar', { registry: 'docker.io', repository: 'foo/bar', tag: 'latest' }],
  ['ghcr.io/owner/app:v1.2.3', { registry: 'ghcr.io', repository: 'owner/app', tag: 'v1.2.3' }],
  ['GHCR.IO/owner/app', { registry: 'ghcr.io', repository: 'owner/app', tag: 'latest' }],
  ['Foo/bar', { registry: 'Foo', repository: 'bar', tag: 'latest' }],
  ['a/a__b/c', { registry: 'docker.io', repository: 'a/a__b/c', tag: 'latest' }],
  ['a/a--b---c', { registry: 'docker.io', repository: 'a/a--b---c', tag: 'latest' }],
  ['a/a.b_c-d', { registry: 'docker.io', repository: 'a/a.b_c-d', tag: 'latest' }],
  ['sha256:abc', { registry: 'docker.io', repository: 'library/sha256', tag: 'abc' }],
  [`repo@${D256}`, { registry: 'docker.io', repository: 'library/repo', digest: D256 }],
  [`repo:${'a'.repeat(128)}`, { registry: 'docker.io', repository: 'library/repo', tag: 'a'.repeat(128) }],
  ['repo:_under', { registry: 'docker.io', repository: 'library/repo', tag: '_under' }],
  [`example.com/${'a'.repeat(243)}`, { registry: 'example.com', repository: 'a'.repeat(243), tag: 'latest' }],
  ['  ghcr.io/o/a:v1  ', { registry: 'ghcr.io', repository: 'o/a', tag: 'v1' }],
];

const invalid: Array<[string, RegExp]> = [
  ['', /it is empty/],
  ['   ', /it is empty/],
  [':justtag', /repository name is missing/],
  [`@${D256}`, /repository name is missing/],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', /sha256 digest has 64 hex digits/],
  [`validname@invaliddigest:${H64}`, /digest algorithm 'invaliddigest' is not supported/],
  [`repo@sha384:${'a'.repeat(96)}`, /digest algorithm 'sha384' is not supported/],
  [`repo@md5:${'a'.repeat(32)}`, /digest algorithm 'md5' is not supported/],
  [`repo@sha256:${'F'.repeat(64)}`, /lower-case hexadecimal/],
  [`repo@sha512:${H64}`, /sha512 digest has 128 hex digits/],
  ['repo@', /nothing follows @/],
  ['repo@notadigest', /is not a digest/],
  ['repo:', /nothing follows the colon/],
  ['Uppercase:tag', /must be lower case/],
  ['test:5000/Uppercase/lowercase:tag', /must be lower case/],
  ['ghcr.io/Owner/app', /must be lower case/],
  ['aa/asdf$$^/aa', /path component 'asdf\$\$\^' is invalid/],
  ['-foo/bar', /path component '-foo' is invalid/],
  ['foo-/bar', /path component 'foo-' is invalid/],
  ['foo/bar-', /path component 'bar-' is invalid/],
  ['foo/.bar', /path component '.bar' is invalid/],
  ['foo/bar.', /path component 'bar.' is invalid/],
  ['foo/a___b', /path component 'a___b' is invalid/],
  ['foo/a..b', /path component 'a..b' is invalid/],
  ['foo//bar', /empty component/],
  ['ghcr.io/foo/', /empty component/],
  ['ghcr.io/', /repository name is missing/],
  ['a_b.c-d/e', /'a_b.c-d' is not a valid registry host/],
  ['test:abc/repo', /'test:abc' is not a valid registry host/],
  ['[fe80::1%eth0]:5000/repo', /is not a valid registry host/],
  ['-host.com/repo', /is not a valid registry host/],
  [`repo:${'a'.repeat(129)}`, /tag 'a+' is invalid/],
  ['repo:.tag', /tag '.tag' is invalid/],
  ['repo:-tag', /tag '-tag' is invalid/],
  ['repo:t@g', /is not a digest|tag/],
  ['a'.repeat(256), /more than 255/],
  [`example.com/${'a'.repeat(244)}`, /is 256 characters long, more than 255/],
  [H64, /image ID/],
  ['https://ghcr.io/o/a', /no URL scheme/],
  ['ghcr.io/o/a b', /white space/],
];

describe('parseReference', () => {
  it.each(valid)('parses %j', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  it.each(invalid)('rejects %j', (text, why) => {
    let error: unknown;
    try {
      parseReference(text, { input: 'image' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(why);
    expect(message.startsWith(`Input 'image': '${text}' is not a valid image reference: `)).toBe(true);
  });

  it('leaves the tag out when defaultTag is false', () => {
    expect(parseReference('ghcr.io/o/app', { defaultTag: false })).toEqual({
      registry: 'ghcr.io',
      repository: 'o/app',
    });
    expect(parseReference('ghcr.io/o/app:v1', { defaultTag: false })).toEqual({
      registry: 'ghcr.io',
      repository: 'o/app',
      tag: 'v1',
    });
  });

  it('names no input when none is given', () => {
    expect(() => parseReference('UPPER')).toThrow(/^'UPPER' is not a valid image reference: /);
  });
});

describe('formatReference', () => {
  const cases: Array<[Reference, boolean, string]> = [
    [{ registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, false, 'docker.io/library/nginx:latest'],
    [{ registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, true, 'nginx:latest'],
    [{ registry: 'docker.io', repository: 'library/a/b' }, true, 'library/a/b'],
    [{ registry: 'docker.io', repository: 'o/app', digest: D256 }, true, `o/app@${D256}`],
    [{ registry: 'ghcr.io', repository: 'o/app', tag: 'v1', digest: D256 }, true, `ghcr.io/o/app:v1@${D256}`],
    [{ registry: '127.0.0.1:5000', repository: 'r' }, false, '127.0.0.1:5000/r'],
  ];
  it.each(cases)('formats %j (familiar %s) as %s', (ref, familiar, expected) => {
    expect(formatReference(ref, { familiar })).toBe(expected);
  });

  it('round-trips through parseReference', () => {
    for (const [text] of valid) {
      const ref = parseReference(text);
      expect(parseReference(formatReference(ref))).toEqual(ref);
    }
  });
});

describe('small helpers', () => {
  it.each([
    ['latest', true],
    ['v1.2.3', true],
    ['_x', true],
    ['A-b_c.d', true],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['', false],
    ['.x', false],
    ['-x', false],
    ['a/b', false],
    ['a:b', false],
    ['a+b', false],
  ])('isValidTag(%j) is %s', (tag, expected) => {
    expect(isValidTag(tag)).toBe(expected);
  });

  it.each([
    [D256, true],
    [D512, true],
    [`sha256:${'F'.repeat(64)}`, false],
    [`sha256:${'f'.repeat(63)}`, false],
    [`sha384:${'f'.repeat(96)}`, false],
    [H64, false],
    ['sha256:', false],
  ])('isDigest(%j) is %s', (text, expected) => {
    expect(isDigest(text)).toBe(expected);
  });

  it('maps Docker Hub to its API host and names repositories', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
    expect(repositoryName({ registry: 'ghcr.io', repository: 'o/a' })).toBe('ghcr.io/o/a');
  });
});
