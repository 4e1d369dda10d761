import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImageUpdate, ManifestParseError, newReference, planImageEdit } from '#shared/manifests/image-edits.js';

const fixtures = join(import.meta.dirname, '../../fixtures/gitops');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Compose variable, not a template
const VAR = '${TAG}';

/** The lines that differ between two texts of equal line count: [line, before, after]. */
function lineDiff(a: string, b: string): [number, string, string][] {
  const la = a.split('\n');
  const lb = b.split('\n');
  expect(lb.length).toBe(la.length);
  const out: [number, string, string][] = [];
  la.forEach((l, i) => {
    if (l !== lb[i]) out.push([i + 1, l, lb[i] as string]);
  });
  return out;
}

function image(text: string): ImageUpdate['image'] {
  const [registry, ...rest] = text.split('/');
  return { registry: registry as string, repository: rest.join('/') };
}

function edit(source: string, update: Partial<ImageUpdate> & { target: string }) {
  const { target, ...rest } = update;
  const u: ImageUpdate = { image: image(target), ...rest };
  const plan = planImageEdit(source, u);
  // a second run over the result changes nothing
  const again = planImageEdit(plan.content, u);
  expect(again.changes).toEqual([]);
  expect(again.content).toBe(plan.content);
  return { ...plan, diff: lineDiff(source, plan.content) };
}

describe('planImageEdit on the real files', () => {
  const cases: {
    file: string;
    update: Partial<ImageUpdate> & { target: string };
    diff: [number, string, string][];
  }[] = [
    {
      file: 'helm-values-podinfo.yaml',
      update: { target: 'ghcr.io/stefanprodan/podinfo', tag: '6.15.0' },
      diff: [[11, '  tag: 6.14.1', '  tag: 6.15.0']],
    },
    {
      file: 'helm-values-podinfo.yaml',
      update: { target: 'ghcr.io/stefanprodan/podinfo', tag: '6.15.0', digest: D1 },
      diff: [[11, '  tag: 6.14.1', `  tag: 6.15.0@${D1}`]],
    },
    {
      file: 'helm-values-podinfo.yaml',
      update: { target: 'docker.io/library/redis', tag: '8.8.1' },
      diff: [[174, '  tag: 8.8.0', '  tag: 8.8.1']],
    },
    {
      file: 'kustomization-argocd-ha-base.yaml',
      update: { target: 'quay.io/argoproj/argocd', tag: 'v3.6.0' },
      diff: [[15, '  newTag: v3.5.1', '  newTag: v3.6.0']],
    },
    {
      file: 'kustomization-argocd-ha-base.yaml',
      update: { target: 'quay.io/argoproj/argocd', tag: 'v3.6.0', newImage: 'ghcr.io/acme/argocd' },
      diff: [
        [14, '  newName: quay.io/argoproj/argocd', '  newName: ghcr.io/acme/argocd'],
        [15, '  newTag: v3.5.1', '  newTag: v3.6.0'],
      ],
    },
    {
      file: 'deployment-sourcegraph-frontend.yaml',
      update: { target: 'docker.io/sourcegraph/frontend', digest: D1 },
      diff: [
        [
          66,
          '        image: index.docker.io/sourcegraph/frontend:insiders@sha256:0b3b4c5db65ed1105a74a8c744e69044c525737627eb9f13eae7a96c508d2bbf',
          `        image: index.docker.io/sourcegraph/frontend:insiders@${D1}`,
        ],
      ],
    },
    {
      file: 'deployment-sourcegraph-frontend.yaml',
      update: { target: 'docker.io/sourcegraph/migrator', tag: '6.0.0', digest: D2 },
      diff: [
        [
          32,
          '        image: index.docker.io/sourcegraph/migrator:insiders@sha256:1bd9a2437f35d4e1b2563861dc11aa33db3c1432cc2f603af08af747c995f7ce',
          `        image: index.docker.io/sourcegraph/migrator:6.0.0@${D2}`,
        ],
      ],
    },
    {
      file: 'docker-compose-sentry.yml',
      update: { target: 'docker.io/library/nginx', tag: '1.31.4-alpine' },
      diff: [[610, '    image: "nginx:1.31.3-alpine"', '    image: "nginx:1.31.4-alpine"']],
    },
    {
      file: 'docker-compose-sentry.yml',
      update: { target: 'docker.io/chrislusf/seaweedfs', tag: '4.41_large_disk', digest: D1 },
      diff: [
        [
          276,
          '    image: "chrislusf/seaweedfs:4.40_large_disk@sha256:d07aa1dae03c687e0737b86130ded1b18474211a09e85d737fbe5508b8805139"',
          `    image: "chrislusf/seaweedfs:4.41_large_disk@${D1}"`,
        ],
      ],
    },
    {
      file: 'argocd-application-reference.yaml',
      update: { target: 'gcr.io/my-repo/my-app', tag: '0.2' },
      diff: [[131, '      - my-app=gcr.io/my-repo/my-app:0.1', '      - my-app=gcr.io/my-repo/my-app:0.2']],
    },
    {
      file: 'argocd-application-reference.yaml',
      update: { target: 'quay.io/argoprojlabs/argocd-e2e-container', tag: '0.3', digest: D1 },
      diff: [
        [
          130,
          '      - quay.io/argoprojlabs/argocd-e2e-container:0.2',
          `      - quay.io/argoprojlabs/argocd-e2e-container:0.3@${D1}`,
        ],
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.file}: ${c.update.target} ${c.update.tag ?? ''} ${c.update.digest ? 'digest' : ''}`, () => {
      const source = read(c.file);
      const { diff } = edit(source, c.update);
      expect(diff).toEqual(c.diff);
    });
  }

  it('reports every reference of a file and why none matched', () => {
    const plan = planImageEdit(read('docker-compose-sentry.yml'), { image: image('ghcr.io/acme/app'), tag: '1' });
    expect(plan.changes).toEqual([]);
    expect(plan.content).toBe(read('docker-compose-sentry.yml'));
    expect(plan.references.find((r) => r.line === 110)).toEqual({
      line: 110,
      format: 'compose',
      text: '$SNUBA_IMAGE',
      why: 'uses a variable or template, never rewritten',
    });
    expect(plan.references.find((r) => r.line === 610)).toEqual({
      line: 610,
      format: 'compose',
      text: 'nginx:1.31.3-alpine',
      why: 'names docker.io/library/nginx',
    });
  });
});

describe('planImageEdit formats and styles', () => {
  const A = 'ghcr.io/acme/app';
  const cases: {
    name: string;
    source: string;
    update: Partial<ImageUpdate>;
    expected: string;
    notes?: string[];
  }[] = [
    {
      name: 'Kubernetes multi-document: containers, initContainers, ephemeralContainers, CronJob',
      source: [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'spec:',
        '  template:',
        '    spec:',
        '      initContainers:',
        '      - name: init',
        '        image: ghcr.io/acme/app:1.0   # the migrations',
        '      containers:',
        '      - image: ghcr.io/acme/other:1.0',
        '      - image: "ghcr.io/acme/app:1.0"',
        '      ephemeralContainers:',
        "      - image: 'ghcr.io/acme/app:1.0'",
        '---',
        '# a job',
        'apiVersion: batch/v1',
        'kind: CronJob',
        'spec:',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          containers:',
        '          - {name: c, image: ghcr.io/acme/app:1.0, args: [a]}',
        '',
      ].join('\n'),
      update: { tag: '1.1' },
      expected: [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'spec:',
        '  template:',
        '    spec:',
        '      initContainers:',
        '      - name: init',
        '        image: ghcr.io/acme/app:1.1   # the migrations',
        '      containers:',
        '      - image: ghcr.io/acme/other:1.0',
        '      - image: "ghcr.io/acme/app:1.1"',
        '      ephemeralContainers:',
        "      - image: 'ghcr.io/acme/app:1.1'",
        '---',
        '# a job',
        'apiVersion: batch/v1',
        'kind: CronJob',
        'spec:',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          containers:',
        '          - {name: c, image: ghcr.io/acme/app:1.1, args: [a]}',
        '',
      ].join('\n'),
    },
    {
      name: 'anchors and aliases: the anchored value is written once, the alias stays',
      source: 'x-app: &app ghcr.io/acme/app:1.0\nservices:\n  web:\n    image: *app\n  worker:\n    image: *app\n',
      update: { tag: '2.0' },
      expected: 'x-app: &app ghcr.io/acme/app:2.0\nservices:\n  web:\n    image: *app\n  worker:\n    image: *app\n',
    },
    {
      name: 'merge keys of Compose defaults',
      source:
        'x-d: &d\n  image: ghcr.io/acme/app:1.0\n  restart: always\nservices:\n  a:\n    <<: *d\n  b:\n    <<: *d\n',
      update: { digest: D1 },
      expected: `x-d: &d\n  image: ghcr.io/acme/app:1.0@${D1}\n  restart: always\nservices:\n  a:\n    <<: *d\n  b:\n    <<: *d\n`,
    },
    {
      name: 'block scalars keep their header and indentation',
      source: 'image: |\n  ghcr.io/acme/app:1.0\nother: >-\n    ghcr.io/acme/app:1.0\n',
      update: { tag: '1.1' },
      expected: 'image: |\n  ghcr.io/acme/app:1.1\nother: >-\n    ghcr.io/acme/app:1.0\n',
    },
    {
      name: 'CRLF line endings and comments beside values',
      source:
        '# values\r\nimage:\r\n  repository: ghcr.io/acme/app # ours\r\n\r\n  tag: "1.0" # bumped by CI\r\n  pullPolicy: Always\r\n',
      update: { tag: '1.2' },
      expected:
        '# values\r\nimage:\r\n  repository: ghcr.io/acme/app # ours\r\n\r\n  tag: "1.2" # bumped by CI\r\n  pullPolicy: Always\r\n',
    },
    {
      name: 'a quoted tag that looks like a number stays quoted',
      source: "image:\n  repository: ghcr.io/acme/app\n  tag: '1.9'\n",
      update: { tag: '1.10' },
      expected: "image:\n  repository: ghcr.io/acme/app\n  tag: '1.10'\n",
    },
    {
      name: 'an unquoted tag that would read as a number is double-quoted',
      source: 'image:\n  repository: ghcr.io/acme/app\n  tag: v1.9\n',
      update: { tag: '1.10' },
      expected: 'image:\n  repository: ghcr.io/acme/app\n  tag: "1.10"\n',
      notes: ["double-quoted: written plain, '1.10' would not read as a string"],
    },
    {
      name: 'an unquoted number tag (1.10, read as 1.1) becomes a string',
      source: 'image:\n  repository: ghcr.io/acme/app\n  tag: 1.10\n',
      update: { tag: 'v2' },
      expected: 'image:\n  repository: ghcr.io/acme/app\n  tag: v2\n',
    },
    {
      name: 'flow style maps and sequences',
      source: 'image: {repository: ghcr.io/acme/app, tag: "1.0", digest: ""}\nlist: [ghcr.io/acme/app:1.0]\n',
      update: { tag: '1.1', digest: D1 },
      expected: `image: {repository: ghcr.io/acme/app, tag: "1.1", digest: "${D1}"}\nlist: [ghcr.io/acme/app:1.0]\n`,
    },
    {
      name: 'Helm registry + image + tag + digest (ingress-nginx layout)',
      source: [
        'controller:',
        '  image:',
        '    registry: ghcr.io',
        '    image: acme/app',
        '    tag: "v1.0"',
        '    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000',
        '    digestChroot: sha256:abc',
        '',
      ].join('\n'),
      update: { tag: 'v1.1', digest: D1 },
      expected: [
        'controller:',
        '  image:',
        '    registry: ghcr.io',
        '    image: acme/app',
        '    tag: "v1.1"',
        `    digest: ${D1}`,
        '    digestChroot: sha256:abc',
        '',
      ].join('\n'),
    },
    {
      name: 'Helm global registry (global.imageRegistry)',
      source: 'global:\n  imageRegistry: ghcr.io\napp:\n  image:\n    repository: acme/app\n    tag: 1.0.0\n',
      update: { tag: '1.0.1' },
      expected: 'global:\n  imageRegistry: ghcr.io\napp:\n  image:\n    repository: acme/app\n    tag: 1.0.1\n',
    },
    {
      name: 'Helm image string value',
      source: 'worker:\n  image: ghcr.io/acme/app:1.0\n  replicas: 2\n',
      update: { tag: '1.1' },
      expected: 'worker:\n  image: ghcr.io/acme/app:1.1\n  replicas: 2\n',
    },
    {
      name: 'helm-keys: a path whose registry comes from elsewhere, matched by repository path',
      source: 'backend:\n  img:\n    ref:\n      repository: acme/app\n      tag: "1.0"\n',
      update: { tag: '1.1', helmKeys: ['backend.img.ref'] },
      expected: 'backend:\n  img:\n    ref:\n      repository: acme/app\n      tag: "1.1"\n',
    },
    {
      name: 'helm-keys: a tag alone whose repository comes from the chart defaults',
      source: 'controller:\n  image:\n    tag: v1.0 # chart default repository\n  replicas: 1\n',
      update: { tag: 'v1.1', helmKeys: ['controller.image'] },
      expected: 'controller:\n  image:\n    tag: v1.1 # chart default repository\n  replicas: 1\n',
    },
    {
      name: 'helm-keys: Argo CD parameters that set only image.tag',
      source:
        'spec:\n  source:\n    helm:\n      parameters:\n      - name: image.tag\n        value: "1.0"\n      - name: other.tag\n        value: "1.0"\n',
      update: { tag: '1.1', helmKeys: ['image'] },
      expected:
        'spec:\n  source:\n    helm:\n      parameters:\n      - name: image.tag\n        value: "1.1"\n      - name: other.tag\n        value: "1.0"\n',
    },
    {
      name: 'Kustomize: matched by newName when there is one',
      source: [
        'kind: Kustomization',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'images:',
        '- name: app',
        '  newName: ghcr.io/acme/app',
        '  newTag: "1.0"',
        `  digest: ${D2}`,
        '- name: ghcr.io/acme/app',
        '  newName: ghcr.io/acme/fork',
        '  newTag: "1.0"',
        '',
      ].join('\n'),
      update: { tag: '1.1', digest: D1 },
      expected: [
        'kind: Kustomization',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'images:',
        '- name: app',
        '  newName: ghcr.io/acme/app',
        '  newTag: "1.1"',
        `  digest: ${D1}`,
        '- name: ghcr.io/acme/app',
        '  newName: ghcr.io/acme/fork',
        '  newTag: "1.0"',
        '',
      ].join('\n'),
    },
    {
      name: 'Argo CD Application helm.parameters',
      source: [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Application',
        'spec:',
        '  source:',
        '    repoURL: https://github.com/acme/deploy',
        '    helm:',
        '      parameters:',
        '      - name: image.repository',
        '        value: ghcr.io/acme/app',
        '      - name: image.tag',
        '        value: "1.0"',
        '        forceString: true',
        '',
      ].join('\n'),
      update: { tag: '1.1' },
      expected: [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Application',
        'spec:',
        '  source:',
        '    repoURL: https://github.com/acme/deploy',
        '    helm:',
        '      parameters:',
        '      - name: image.repository',
        '        value: ghcr.io/acme/app',
        '      - name: image.tag',
        '        value: "1.1"',
        '        forceString: true',
        '',
      ].join('\n'),
    },
    {
      name: '.argocd-source-<app>.yaml override file',
      source:
        'helm:\n  parameters:\n  - name: image.tag\n    value: "1.0"\n  - name: image.repository\n    value: ghcr.io/acme/app\n',
      update: { tag: '1.1' },
      expected:
        'helm:\n  parameters:\n  - name: image.tag\n    value: "1.1"\n  - name: image.repository\n    value: ghcr.io/acme/app\n',
    },
    {
      name: 'Flux markers: full, tag and name forms; other policies untouched',
      source: [
        'spec:',
        '  image: ghcr.io/acme/app:1.0 # {"$imagepolicy": "flux-system:app"}',
        '  other: ghcr.io/acme/app:1.0 # {"$imagepolicy": "flux-system:canary"}',
        '  values:',
        '    repo: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}',
        '    version: "1.0" # {"$imagepolicy": "flux-system:app:tag"}',
        '',
      ].join('\n'),
      update: { tag: '1.1', fluxPolicy: 'flux-system:app' },
      expected: [
        'spec:',
        '  image: ghcr.io/acme/app:1.1 # {"$imagepolicy": "flux-system:app"}',
        '  other: ghcr.io/acme/app:1.0 # {"$imagepolicy": "flux-system:canary"}',
        '  values:',
        '    repo: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}',
        '    version: "1.1" # {"$imagepolicy": "flux-system:app:tag"}',
        '',
      ].join('\n'),
    },
    {
      name: 'Flux markers: digest form beside a tag form',
      source: [
        'image:',
        '  repository: ghcr.io/acme/app # {"$imagepolicy": "apps:app:name"}',
        '  tag: "1.0" # {"$imagepolicy": "apps:app:tag"}',
        `  digest: ${D2} # {"$imagepolicy": "apps:app:digest"}`,
        '',
      ].join('\n'),
      update: { tag: '1.1', digest: D1, fluxPolicy: 'apps:app' },
      expected: [
        'image:',
        '  repository: ghcr.io/acme/app # {"$imagepolicy": "apps:app:name"}',
        '  tag: "1.1" # {"$imagepolicy": "apps:app:tag"}',
        `  digest: ${D1} # {"$imagepolicy": "apps:app:digest"}`,
        '',
      ].join('\n'),
    },
    {
      name: 'Argo Rollout and a StatefulSet in one file',
      source:
        'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n      containers:\n      - image: ghcr.io/acme/app:1\n---\napiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - image: ghcr.io/acme/app@' +
        D2 +
        '\n',
      update: { digest: D1 },
      expected:
        'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n      containers:\n      - image: ghcr.io/acme/app:1@' +
        D1 +
        '\n---\napiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - image: ghcr.io/acme/app@' +
        D1 +
        '\n',
    },
    {
      name: 'rename (new-image) with a registry field',
      source: 'image:\n  registry: quay.io\n  repository: acme/app\n  tag: "1"\n',
      update: { tag: '2', newImage: 'ghcr.io/acme/app2' },
      expected: 'image:\n  registry: ghcr.io\n  repository: acme/app2\n  tag: "2"\n',
    },
    {
      name: 'Docker Hub short names match docker.io',
      source: 'services:\n  web:\n    image: acme/app:1\n',
      update: { tag: '2' },
      expected: 'services:\n  web:\n    image: acme/app:2\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const target = c.name.startsWith('Docker Hub')
        ? 'docker.io/acme/app'
        : c.name.startsWith('rename')
          ? 'quay.io/acme/app'
          : A;
      const plan = edit(c.source, { target, ...c.update });
      expect(plan.content).toBe(c.expected);
      expect(plan.changes.flatMap((ch) => (ch.note ? [ch.note] : []))).toEqual(c.notes ?? []);
    });
  }

  it('records line, path, old and new of each change', () => {
    const plan = planImageEdit('a:\n  b:\n  - image: ghcr.io/acme/app:1\n', { image: image(A), tag: '2' });
    expect(plan.changes).toEqual([
      { line: 3, format: 'helm', path: 'a.b.0.image', old: 'ghcr.io/acme/app:1', new: 'ghcr.io/acme/app:2' },
    ]);
  });

  it('never rewrites an image with a variable, and says so', () => {
    const source = `services:\n  web:\n    image: ghcr.io/acme/app:${VAR}\n`;
    const plan = planImageEdit(source, { image: image(A), tag: '2' });
    expect(plan.content).toBe(source);
    expect(plan.skipped).toEqual([
      {
        line: 3,
        format: 'compose',
        text: `ghcr.io/acme/app:${VAR}`,
        why: 'uses a variable or template, never rewritten',
      },
    ]);
  });

  it('a tag alone does not unpin a digest kept in its own field', () => {
    const source = `image:\n  repository: ghcr.io/acme/app\n  tag: "1"\n  digest: ${D1}\n`;
    const plan = planImageEdit(source, { image: image(A), tag: '2' });
    expect(plan.content).toBe(source);
    expect(plan.skipped.map((s) => s.why)).toEqual([`pins digest ${D1} in its own field; give digest as well as tag`]);
  });

  it('a Kustomize entry without a digest field is not given one', () => {
    const source = 'kind: Kustomization\napiVersion: v1\nimages:\n- name: ghcr.io/acme/app\n  newTag: "1"\n';
    const plan = planImageEdit(source, { image: image(A), digest: D1 });
    expect(plan.content).toBe(source);
    expect(plan.skipped.map((s) => s.why)).toEqual([
      'has no digest field to write the digest to (add `digest:` to the entry)',
    ]);
  });

  it.each([
    [
      'appends to an existing images list with its indentation',
      'resources:\n  - deployment.yaml\nimages:\n  - name: nginx\n    newTag: "1.27"\n# trailing comment\n',
      'resources:\n  - deployment.yaml\nimages:\n  - name: nginx\n    newTag: "1.27"\n  - name: ghcr.io/acme/app\n    newTag: "1.10"\n    digest: DIGEST\n# trailing comment\n',
      6,
    ],
    [
      'adds an images list at the end (CRLF kept)',
      'apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nresources:\r\n- app.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nresources:\r\n- app.yaml\r\nimages:\r\n- name: ghcr.io/acme/app\r\n  newTag: "1.10"\r\n  digest: DIGEST\r\n',
      5,
    ],
  ])('kustomize-add %s', (_name, source, expected, line) => {
    const u: ImageUpdate = { image: image(A), tag: '1.10', digest: D1, kustomizeAdd: true };
    const plan = planImageEdit(source, u);
    expect(plan.content).toBe(expected.replace('DIGEST', D1));
    expect(plan.changes).toEqual([
      {
        line,
        format: 'kustomize',
        path: 'images',
        old: '',
        new: `ghcr.io/acme/app:1.10@${D1}`,
        note: 'added a Kustomize images entry',
      },
    ]);
    // the entry is found on the next run: nothing more is added
    expect(planImageEdit(plan.content, u).content).toBe(plan.content);
  });

  it('kustomize-add leaves Helm values (a `resources` map) and files already naming the image alone', () => {
    const u: ImageUpdate = { image: image(A), tag: '2', kustomizeAdd: true };
    const helm = 'resources:\n  limits: {cpu: 1}\n';
    expect(planImageEdit(helm, u).content).toBe(helm);
    const has = 'resources: [a.yaml]\nimages:\n- name: ghcr.io/acme/app\n  newTag: "1"\n';
    expect(planImageEdit(has, u).content).toBe(has.replace('"1"', '"2"'));
  });

  it('a different registry is explained', () => {
    const plan = planImageEdit('image: quay.io/acme/app:1\n', { image: image(A), tag: '2' });
    expect(plan.references).toEqual([
      { line: 1, format: 'helm', text: 'quay.io/acme/app:1', why: 'is in registry quay.io, not ghcr.io' },
    ]);
  });

  it('text that is not YAML is refused with its line', () => {
    expect(() => planImageEdit('a: [1, 2\nb: c\n', { image: image(A), tag: '2' })).toThrow(ManifestParseError);
    expect(() => planImageEdit('a: "open\n', { image: image(A), tag: '2' })).toThrow(
      /^is not valid YAML \(line 2: Missing closing "quote/,
    );
  });

  it('newReference keeps the tag as a label for a digest alone and drops a stale digest for a tag alone', () => {
    const u = { image: image(A) };
    expect(newReference(`ghcr.io/acme/app:1@${D2}`, { ...u, digest: D1 })).toBe(`ghcr.io/acme/app:1@${D1}`);
    expect(newReference(`ghcr.io/acme/app:1@${D2}`, { ...u, tag: '2' })).toBe('ghcr.io/acme/app:2');
    expect(newReference('ghcr.io/acme/app', { ...u, digest: D1 })).toBe(`ghcr.io/acme/app@${D1}`);
    expect(newReference('ghcr.io/acme/app:1', { ...u, tag: '2', digest: D1, newImage: 'ghcr.io/b/c' })).toBe(
      `ghcr.io/b/c:2@${D1}`,
    );
  });
});
