import { createHash } from 'node:crypto';

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
 * revision or the app's files do not exist. The GitLab sandbox provides one backed by real git; for
 * tests and a stand-alone Argo CD sandbox, {@link InMemoryIacRepository} provides another.
 */
export type DesiredStateSource = (
  app: ArgoSandboxAppRef,
  revision: string,
) => Promise<DesiredState | undefined>;

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
