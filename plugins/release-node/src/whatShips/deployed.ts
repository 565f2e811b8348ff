import type {
  DeployedVersion,
  ReleaseApp,
} from '@internal/plugin-release-common';
import { parse } from 'yaml';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import type { GitlabClient } from '../gitlab/GitlabClient';
import { SystemError } from '../http/SystemError';
import { imageKeysOf, type ReleaseLayout } from '../layout';
import { iacLiveColour } from '../liveColour';

interface ValuesKeyRead {
  argocdApp: string;
  file: string;
  key: string;
  /** The tag in the IaC repository, undefined when the file or key is absent. */
  version?: string;
  /** image.repository beside image.tag, to pick the right image from Argo CD's list. */
  repository?: string;
}

function valueAt(doc: unknown, dotted: string): unknown {
  let node = doc;
  for (const part of dotted.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node))
      return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** registry/kop/hybris:deploy-2026-01-06 → [registry/kop/hybris, deploy-2026-01-06]. */
export function splitImage(image: string): { name: string; tag?: string } {
  const bare = image.split('@')[0];
  const slash = bare.lastIndexOf('/');
  const colon = bare.lastIndexOf(':');
  return colon > slash
    ? { name: bare.slice(0, colon), tag: bare.slice(colon + 1) }
    : { name: bare };
}

async function readValues(
  gitlab: GitlabClient,
  project: string,
  branch: string,
  file: string,
): Promise<unknown> {
  const f = await gitlab.readFile(project, branch, file);
  if (!f) return undefined;
  try {
    return parse(f.content);
  } catch (e) {
    throw new SystemError({
      system: 'GitLab',
      action: `read ${file} at ${branch} in ${project}`,
      detail: `not valid YAML: ${(e as Error).message}`,
    });
  }
}

/** The values keys that hold the app's image in this environment; the first is the one that counts. */
async function imageKeys(
  app: ReleaseApp,
  layout: ReleaseLayout,
  gitlab: GitlabClient,
  environment: string,
): Promise<Array<{ argocdApp: string; file: string; key: string }>> {
  if (app === 'hybris') {
    const colour = await iacLiveColour({ layout, environment, gitlab });
    const c = layout.apps.hybris.colours[colour];
    return [{ argocdApp: c.argocdApp, file: c.values, key: c.image }];
  }
  return imageKeysOf(layout, app);
}

/**
 * What runs now: the image tag in the IaC repository's values file, checked against the image Argo
 * CD reports for the app (when Argo CD serves the environment). Argo CD wins when the two differ,
 * since an IaC commit not yet synced does not run; every such difference is returned as a warning.
 *
 * @public
 */
export async function readDeployedVersion(options: {
  app: ReleaseApp;
  environment: string;
  layout: ReleaseLayout;
  gitlab: GitlabClient;
  argocd?: ArgoCdClient;
}): Promise<{ deployed: DeployedVersion; warnings: string[] }> {
  const { app, environment, layout, gitlab, argocd } = options;
  const project = layout.iac.repos[environment];
  const branch = layout.iac.branch;
  const warnings: string[] = [];
  const keys = await imageKeys(app, layout, gitlab, environment);
  const reads: ValuesKeyRead[] = await Promise.all(
    keys.map(async k => {
      const doc = await readValues(gitlab, project, branch, k.file);
      const repositoryKey = k.key.endsWith('.tag')
        ? `${k.key.slice(0, -'.tag'.length)}.repository`
        : undefined;
      return {
        ...k,
        version: scalar(valueAt(doc, k.key)),
        repository: repositoryKey
          ? scalar(valueAt(doc, repositoryKey))
          : undefined,
      };
    }),
  );
  const [primary, ...others] = reads;
  for (const other of others) {
    if (other.version !== primary.version) {
      warnings.push(
        `${other.argocdApp} runs ${other.version ?? 'no version'} (${
          other.file
        }), not ${primary.version ?? 'no version'} like ${
          primary.argocdApp
        }: what ships is counted from ${primary.argocdApp}`,
      );
    }
  }

  let running: string | undefined;
  if (argocd) {
    try {
      const images =
        (await argocd.getApplication(primary.argocdApp)).status?.summary
          ?.images ?? [];
      const image =
        images.find(
          i => primary.repository && splitImage(i).name === primary.repository,
        ) ?? (images.length === 1 ? images[0] : undefined);
      running = image ? splitImage(image).tag : undefined;
    } catch (e) {
      warnings.push(
        `Argo CD: could not read ${primary.argocdApp} (${
          (e as Error).message
        }); the IaC repository's version is used`,
      );
    }
  }

  const iac = { project, branch, file: primary.file, key: primary.key };
  const at = `${primary.key} in ${primary.file} at ${branch} of ${project}`;
  if (running && running !== primary.version) {
    if (primary.version) {
      warnings.push(
        `${at} says ${primary.version}, but Argo CD's ${primary.argocdApp} runs ${running} (not synced yet?): what ships is counted from ${running}`,
      );
    }
    return {
      deployed: {
        version: running,
        source: 'argocd',
        argocdApp: primary.argocdApp,
        iac,
      },
      warnings,
    };
  }
  if (!primary.version) {
    throw new SystemError({
      system: 'GitLab',
      action: `read the ${app} version that runs in ${environment}`,
      detail: `${at} is not set${
        argocd ? ', and Argo CD reports no image either' : ''
      }`,
    });
  }
  return {
    deployed: {
      version: primary.version,
      source: 'iac',
      argocdApp: primary.argocdApp,
      iac,
    },
    warnings,
  };
}
