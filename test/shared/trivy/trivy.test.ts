import { describe, expect, it } from 'vitest';
import { convertArgs, scanArgs } from '#shared/trivy/trivy.js';

const fixed = ['--skip-db-update', '--skip-java-db-update', '--skip-version-check'];

describe('scanArgs', () => {
  it.each([
    [
      { image: 'r.example/a@sha256:1', output: '/t/r.json', cacheDir: '/c', scanners: ['vuln', 'secret'] },
      [
        'image',
        '--format',
        'json',
        '--output',
        '/t/r.json',
        '--cache-dir',
        '/c',
        ...fixed,
        '--scanners',
        'vuln,secret',
        '--severity',
        'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
        '--list-all-pkgs',
        '--exit-code',
        '0',
        '--quiet',
        'r.example/a@sha256:1',
      ],
    ],
    [
      {
        input: '/w/image.tar',
        output: '/t/r.json',
        cacheDir: '/c',
        scanners: ['vuln', 'secret', 'misconfig'],
        ignoreFile: '/w/.trivyignore',
        platform: 'linux/arm64',
        timeout: '10m',
      },
      [
        'image',
        '--format',
        'json',
        '--output',
        '/t/r.json',
        '--cache-dir',
        '/c',
        ...fixed,
        '--scanners',
        'vuln,secret,misconfig',
        '--severity',
        'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
        '--list-all-pkgs',
        '--exit-code',
        '0',
        '--quiet',
        '--ignorefile',
        '/w/.trivyignore',
        '--platform',
        'linux/arm64',
        '--timeout',
        '10m',
        '--input',
        '/w/image.tar',
      ],
    ],
  ])('%j', (options, expected) => {
    expect(scanArgs(options)).toEqual(expected);
  });

  it('never filters in Trivy what the action filters itself', () => {
    const args = scanArgs({ image: 'a', output: 'o', cacheDir: 'c', scanners: ['vuln'] });
    expect(args).not.toContain('--ignore-unfixed');
    expect(args[args.indexOf('--exit-code') + 1]).toBe('0');
  });
});

describe('convertArgs', () => {
  it('renders another format from the JSON report', () => {
    expect(convertArgs('sarif', '/w/t.sarif', '/t/r.json')).toEqual([
      'convert',
      '--format',
      'sarif',
      '--output',
      '/w/t.sarif',
      '--quiet',
      '/t/r.json',
    ]);
  });
});
