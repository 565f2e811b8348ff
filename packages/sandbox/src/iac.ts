import { parse } from 'yaml';
import type { ArgoSandboxAppRef, DesiredState } from './argocd';
import type { GitRepos } from './git/GitRepos';

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
