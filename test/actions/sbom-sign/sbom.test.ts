import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSbom, SbomError } from '../../../actions/sbom-sign/src/sbom.js';

const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const read = (name: string) => readFileSync(join(fixtures, name));

describe('parseSbom on real SBOMs', () => {
  it('SPDX 2.3 from syft', () => {
    const info = parseSbom(read('syft-spdx-2.3-alpine.json'), 'spdx-json');
    expect(info.version).toBe('SPDX-2.3');
    expect(info.packages).toBe(17);
    expect(info.predicateType).toBe('https://spdx.dev/Document');
    expect(info.topLicenses.slice(0, 3)).toEqual([
      { license: 'GPL-2.0-only', packages: 8 },
      { license: 'MIT', packages: 3 },
      { license: 'Apache-2.0', packages: 2 },
    ]);
  });

  it('CycloneDX 1.5 from syft', () => {
    const info = parseSbom(read('syft-cyclonedx-1.5-alpine.json'), 'cyclonedx-json');
    expect(info.version).toBe('CycloneDX 1.5');
    expect(info.packages).toBe(16);
    expect(info.predicateType).toBe('https://cyclonedx.org/bom');
  });

  it('CycloneDX 1.6 from Trivy', () => {
    const info = parseSbom(read('trivy-cyclonedx-1.6-nginx.json'), 'cyclonedx-json');
    expect(info.version).toBe('CycloneDX 1.6');
    expect(info.packages).toBe(152);
    expect(info.topLicenses[0]).toEqual({ license: 'GPL-2.0-only', packages: 76 });
  });
});

describe('parseSbom refusals', () => {
  it.each([
    ['not JSON', '{"spdxVersion":', 'spdx-json', /^is not JSON \(/],
    ['a list', '[]', 'spdx-json', /^is not a JSON object$/],
    [
      'neither format',
      '{"foo":1}',
      'spdx-json',
      /^is neither SPDX \(no spdxVersion\) nor CycloneDX \(no bomFormat: CycloneDX\)$/,
    ],
    ['SPDX 3', '{"spdxVersion":"SPDX-3.0"}', 'spdx-json', /^is SPDX-3.0, not SPDX 2.x$/],
    [
      'an incomplete SPDX document',
      '{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}',
      'spdx-json',
      /^is not a complete SPDX document \(missing name, dataLicense, documentNamespace, creationInfo.created\)$/,
    ],
    [
      'CycloneDX declared as SPDX',
      '{"bomFormat":"CycloneDX","specVersion":"1.5"}',
      'spdx-json',
      /^is CycloneDX but sbom-format is spdx-json \(set sbom-format: cyclonedx-json\)$/,
    ],
    [
      'CycloneDX 2',
      '{"bomFormat":"CycloneDX","specVersion":"2.0"}',
      'cyclonedx-json',
      /^has specVersion "2.0", not a CycloneDX 1.x version$/,
    ],
    [
      'components not a list',
      '{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}',
      'cyclonedx-json',
      /^has a components field that is not a list$/,
    ],
  ] as const)('%s', (_name, text, format, message) => {
    const err = (() => {
      try {
        parseSbom(Buffer.from(text), format);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SbomError);
    expect((err as Error).message).toMatch(message);
  });
});
