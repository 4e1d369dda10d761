import { describe, expect, it } from 'vitest';
import { annotationLines, compareKeys, mergeEntries } from '../../../actions/compute-tags/src/labels.js';

const BASE: Array<[string, string]> = [
  ['org.opencontainers.image.title', 'app'],
  ['org.opencontainers.image.version', '1.2.3'],
];

describe('annotationLines', () => {
  it.each<[string, Array<[string, string]>, string[], string[]]>([
    [
      'the manifest level by default',
      [],
      ['manifest'],
      ['manifest:org.opencontainers.image.title=app', 'manifest:org.opencontainers.image.version=1.2.3'],
    ],
    [
      'each level in the order given, base and plain keys at every level',
      [['org.example.a', '1']],
      ['index', 'manifest-descriptor'],
      [
        'index:org.example.a=1',
        'index:org.opencontainers.image.title=app',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest-descriptor:org.example.a=1',
        'manifest-descriptor:org.opencontainers.image.title=app',
        'manifest-descriptor:org.opencontainers.image.version=1.2.3',
      ],
    ],
    [
      'a key naming a listed level overrides there only',
      [['index:org.opencontainers.image.title', 'App']],
      ['manifest', 'index'],
      [
        'manifest:org.opencontainers.image.title=app',
        'manifest:org.opencontainers.image.version=1.2.3',
        'index:org.opencontainers.image.title=App',
        'index:org.opencontainers.image.version=1.2.3',
      ],
    ],
    [
      'a key naming another level (with a platform) comes after the listed levels',
      [
        ['manifest[linux/arm64]:org.example.arch', 'arm64'],
        ['org.opencontainers.image.version', '2'],
      ],
      ['manifest'],
      [
        'manifest:org.opencontainers.image.title=app',
        'manifest:org.opencontainers.image.version=2',
        'manifest[linux/arm64]:org.example.arch=arm64',
      ],
    ],
  ])('%s', (_name, extra, levels, expected) => {
    expect(annotationLines(BASE, extra, levels)).toEqual(expected);
  });
});

describe('mergeEntries', () => {
  it('sorts as metadata-action does (localeCompare: case and punctuation after letters)', () => {
    const merged = mergeEntries(
      [
        ['b', '1'],
        ['B', '2'],
      ],
      [
        ['a_b', '3'],
        ['a.b', '4'],
        ['A', '5'],
      ],
    );
    expect(merged.map(([k]) => k)).toEqual(['A', 'a_b', 'a.b', 'b', 'B']);
  });
});

describe('compareKeys', () => {
  // printable ASCII, with the characters of label keys more often
  const ALPHABET = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
  const COMMON = 'abcABC.-_019';

  it('orders printable ASCII keys exactly as localeCompare (ICU root collation)', () => {
    let seed = 20261206;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const word = () => {
      const length = 1 + Math.floor(random() * 6);
      let text = '';
      for (let i = 0; i < length; i++) {
        const from = random() < 0.7 ? COMMON : ALPHABET;
        text += from[Math.floor(random() * from.length)];
      }
      return text;
    };
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = random() < 0.3 ? a.toUpperCase() : word();
      if (Math.sign(compareKeys(a, b)) !== Math.sign(a.localeCompare(b))) mismatches.push(`${a} | ${b}`);
    }
    expect(mismatches).toEqual([]);
  });
});
