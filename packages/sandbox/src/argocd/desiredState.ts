import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { GitRepos } from '../git/GitRepos';

/** What the IaC repository says an app should run at one revision. */
export interface DesiredState {
  /** The commit the revision resolved to. */
  revision: string;
  /** The app's Helm values there (its values files merged). */
  values: object;
}

/** How the Argo CD sandbox names an app when it asks for its desired state. */
export interface ArgoSandboxAppRef {
  /** The Argo CD instance (one per environment: beta, prod). */
  instance: string;
  /** The Argo CD app, e.g. hybris-blue. */
  name: string;
  repoURL: string;
  /** Folder of the app in the repository, e.g. hybris. */
  path: string;
  /** Values files inside `path`, e.g. values.yaml, values-blue.yaml. */
  valueFiles: string[];
  /** The app's targetRevision (branch). */
  targetRevision: string;
}

/**
 * Reads the desired state of an app at a revision (a branch, HEAD, or a commit); undefined when the
 * revision or the app's files do not exist. {@link gitDesiredState} reads the GitLab sandbox's real
 * git; for tests and a stand-alone Argo CD sandbox, {@link InMemoryIacRepository} provides another.
 */
export type DesiredStateSource = (
  app: ArgoSandboxAppRef,
  revision: string,
) => Promise<DesiredState | undefined>;

const SHA = /^[0-9a-f]{40}$/;

function merge(base: Record<string, unknown>, over: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? merge(
            prev as Record<string, unknown>,
            value as Record<string, unknown>,
          )
        : value;
  }
  return out;
}

/** The GitLab project an Argo CD repoURL names, e.g. …/kop/kop-deploy-prod.git → kop/kop-deploy-prod. */
export function projectOfRepoUrl(repoURL: string): string {
  const parts = new URL(repoURL).pathname
    .replace(/\.git$/, '')
    .split('/')
    .filter(Boolean);
  return parts.slice(-2).join('/');
}

/**
 * What Argo CD would render for an app: its values files in the sandbox's real IaC repository at
 * a revision, merged in order as Helm does.
 */
export function gitDesiredState(repos: GitRepos) {
  return async (
    app: ArgoSandboxAppRef,
    revision: string,
  ): Promise<DesiredState | undefined> => {
    const project = projectOfRepoUrl(app.repoURL);
    const sha = SHA.test(revision)
      ? revision
      : await repos.resolveRef(project, revision);
    if (!sha) return undefined;
    let values: Record<string, unknown> = {};
    let found = false;
    for (const file of app.valueFiles) {
      const text = await repos.readFile(project, sha, `${app.path}/${file}`);
      if (text === undefined) continue;
      found = true;
      values = merge(values, (parse(text) ?? {}) as Record<string, unknown>);
    }
    return found ? { revision: sha, values } : undefined;
  };
}

interface Commit {
  sha: string;
  message: string;
  values: Map<string, object>;
}

/**
 * A stand-in IaC repository held in memory: one branch of commits, each holding the Helm values of
 * every app, keyed `<instance>/<app>` (or just `<app>` for every instance).
 */
export class InMemoryIacRepository {
  private readonly commits: Commit[] = [];

  constructor(
    initial: Record<string, object>,
    private readonly branch: string = 'main',
  ) {
    this.commit(initial, 'initial state');
  }

  /** Changes the values of some apps (whole objects) in one commit; returns its sha. */
  commit(changes: Record<string, object>, message = 'change'): string {
    const values = new Map(this.commits[this.commits.length - 1]?.values);
    for (const [key, v] of Object.entries(changes)) {
      values.set(key, structuredClone(v));
    }
    const sha = createHash('sha1')
      .update(
        `${this.commits.length}\n${message}\n${JSON.stringify([...values])}`,
      )
      .digest('hex');
    this.commits.push({ sha, message, values });
    return sha;
  }

  head(): string {
    return this.commits[this.commits.length - 1].sha;
  }

  /** The values an app has at a revision. */
  valuesAt(key: string, revision: string = this.branch): object | undefined {
    const commit = this.resolve(revision);
    return commit && structuredClone(commit.values.get(key));
  }

  private resolve(revision: string): Commit | undefined {
    if (!revision || revision === 'HEAD' || revision === this.branch) {
      return this.commits[this.commits.length - 1];
    }
    if (/^[0-9a-f]{7,40}$/.test(revision)) {
      return this.commits.find(c => c.sha.startsWith(revision));
    }
    return undefined;
  }

  readonly desiredState: DesiredStateSource = async (app, revision) => {
    const commit = this.resolve(revision);
    if (!commit) return undefined;
    const values =
      commit.values.get(`${app.instance}/${app.name}`) ??
      commit.values.get(app.name);
    if (!values) return undefined;
    return { revision: commit.sha, values: structuredClone(values) };
  };
}
