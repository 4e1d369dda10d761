// in-toto statements about an image digest, and the predicates sbom-sign attaches: SBOMs (SPDX,
// CycloneDX), SLSA v1 build provenance from the GitHub Actions context, and cosign's vuln
// predicate. promote's gate reads them back by predicate type.
export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
/** what cosign 2.x writes; read as well as v1 */
export const STATEMENT_TYPE_V01 = 'https://in-toto.io/Statement/v0.1';

export const PredicateType = {
  spdx: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  slsaProvenance: 'https://slsa.dev/provenance/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
} as const;

/**
 * Short names users write (`require-attestations: spdx,slsa-provenance`), with cosign's
 * `--type` names as aliases; a full URI is accepted as it is.
 */
const PREDICATE_ALIASES: Record<string, string> = {
  spdx: PredicateType.spdx,
  spdxjson: PredicateType.spdx,
  cyclonedx: PredicateType.cyclonedx,
  slsa: PredicateType.slsaProvenance,
  'slsa-provenance': PredicateType.slsaProvenance,
  slsaprovenance1: PredicateType.slsaProvenance,
  provenance: PredicateType.slsaProvenance,
  vuln: PredicateType.vuln,
};

/** The predicate type URI for a short name or URI; undefined when it is neither. */
export function predicateTypeFor(name: string): string | undefined {
  const alias = PREDICATE_ALIASES[name.toLowerCase()];
  if (alias) return alias;
  return /^https?:\/\/\S+$/.test(name) ? name : undefined;
}

export const PREDICATE_NAMES: readonly string[] = Object.keys(PREDICATE_ALIASES);

export interface Subject {
  name: string;
  digest: Record<string, string>;
}

export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: unknown;
}

/** A statement about one image digest (`sha256:<hex>`), named by its repository. */
export function imageStatement(
  repositoryName: string,
  digest: string,
  predicateType: string,
  predicate: unknown,
): Statement {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return {
    _type: STATEMENT_TYPE_V1,
    subject: [{ name: repositoryName, digest: { [algorithm]: hex } }],
    predicateType,
    predicate,
  };
}

/** Parses a statement; undefined when the payload is not one. */
export function parseStatement(payload: Buffer): Statement | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const s = doc as Partial<Statement> | null;
  if (!s || (s._type !== STATEMENT_TYPE_V1 && s._type !== STATEMENT_TYPE_V01)) return undefined;
  if (typeof s.predicateType !== 'string' || !Array.isArray(s.subject)) return undefined;
  return s as Statement;
}

/** True when one of the statement's subjects carries the digest. */
export function statementCovers(statement: Statement, digest: string): boolean {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) return false;
  return statement.subject.some((s) => s && typeof s === 'object' && s.digest?.[algorithm] === hex);
}

/** The GitHub Actions context a provenance predicate is built from (the runner's GITHUB_* variables). */
export interface BuildContext {
  serverUrl: string;
  repository: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
  ref: string;
  sha: string;
  /** `owner/repo/.github/workflows/x.yml@refs/...` */
  workflowRef: string;
  eventName: string;
  runId: string;
  runAttempt: string;
  runnerEnvironment?: string;
}

export function buildContextFromEnv(env: NodeJS.ProcessEnv): BuildContext | undefined {
  const { GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_RUN_ID, GITHUB_WORKFLOW_REF } = env;
  if (!GITHUB_REPOSITORY || !GITHUB_SHA || !GITHUB_RUN_ID || !GITHUB_WORKFLOW_REF) return undefined;
  const context: BuildContext = {
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    repository: GITHUB_REPOSITORY,
    ref: env.GITHUB_REF ?? '',
    sha: GITHUB_SHA,
    workflowRef: GITHUB_WORKFLOW_REF,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    runId: GITHUB_RUN_ID,
    runAttempt: env.GITHUB_RUN_ATTEMPT || '1',
  };
  if (env.GITHUB_REPOSITORY_ID) context.repositoryId = env.GITHUB_REPOSITORY_ID;
  if (env.GITHUB_REPOSITORY_OWNER_ID) context.repositoryOwnerId = env.GITHUB_REPOSITORY_OWNER_ID;
  if (env.RUNNER_ENVIRONMENT) context.runnerEnvironment = env.RUNNER_ENVIRONMENT;
  return context;
}

/**
 * SLSA v1 provenance in the GitHub Actions workflow build type (the shape GitHub's own
 * build-provenance attestations use), so policy engines that know that type read ours.
 */
export function slsaProvenance(context: BuildContext): unknown {
  const at = context.workflowRef.indexOf('@');
  const workflowPath = at < 0 ? context.workflowRef : context.workflowRef.slice(0, at);
  const workflowRefName = at < 0 ? context.ref : context.workflowRef.slice(at + 1);
  const prefix = `${context.repository}/`;
  const path = workflowPath.startsWith(prefix) ? workflowPath.slice(prefix.length) : workflowPath;
  const server = context.serverUrl.replace(/\/+$/, '');
  const internal: Record<string, string> = { event_name: context.eventName };
  if (context.repositoryId) internal.repository_id = context.repositoryId;
  if (context.repositoryOwnerId) internal.repository_owner_id = context.repositoryOwnerId;
  if (context.runnerEnvironment) internal.runner_environment = context.runnerEnvironment;
  return {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: { ref: workflowRefName, repository: `${server}/${context.repository}`, path },
      },
      internalParameters: { github: internal },
      resolvedDependencies: [
        { uri: `git+${server}/${context.repository}@${context.ref}`, digest: { gitCommit: context.sha } },
      ],
    },
    runDetails: {
      builder: { id: `${server}/${context.workflowRef}` },
      metadata: {
        invocationId: `${server}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`,
      },
    },
  };
}
