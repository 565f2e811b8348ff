import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import type {
  ReleaseAppVersion,
  ReleaseLinkOut,
  ReleaseLinksOut,
} from '@internal/plugin-release-common';
import {
  argocdAppsOf,
  type ReleaseLayout,
} from '@internal/plugin-release-node';

/** A Grafana dashboard (or any page) the release page links to, per environment. */
export interface ReleaseDashboard {
  title: string;
  /** May hold `{environment}`, filled in per environment. */
  url: string;
}

const PLACEHOLDER = /\{([^}]*)\}/g;

/** `release.links.dashboards`, checked so a typo fails at start-up and names the field. */
export function readReleaseDashboards(config: Config): ReleaseDashboard[] {
  const entries = config.getOptionalConfigArray('release.links.dashboards');
  return (entries ?? []).map((entry, i) => {
    const field = `release.links.dashboards[${i}]`;
    const title = entry.getString('title').trim();
    if (!title) throw new InputError(`${field}.title must not be empty`);
    const url = entry.getString('url');
    if (!/^https?:\/\/[^/\s]+/.test(url)) {
      throw new InputError(`${field}.url must be an http(s) URL, got '${url}'`);
    }
    for (const [, name] of url.matchAll(PLACEHOLDER)) {
      if (name !== 'environment') {
        throw new InputError(
          `${field}.url has the placeholder {${name}}; only {environment} is filled in`,
        );
      }
    }
    return { title, url };
  });
}

/** What the links are built from; a system that is not configured throws from its getter. */
export interface LinksOutContext {
  layout: ReleaseLayout;
  environments: string[];
  dashboards: ReleaseDashboard[];
  argocdFor(environment: string): {
    instance: string;
    applicationUrl(name: string): string;
  };
  gitlab(): { projectUrl(project: string, page?: string): string };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Where a person looks while this release goes out: its apps in Argo CD and its versions in GitLab,
 * the IaC branch and the dashboards, per environment. Built from config alone (no upstream call), so
 * the release page shows them even while a system is down; a system that is not set up is named.
 */
export function releaseLinksOut(
  release: { apps: Array<Pick<ReleaseAppVersion, 'app' | 'version'>> },
  context: LinksOutContext,
): ReleaseLinksOut {
  const links: ReleaseLinkOut[] = [];
  const problems: string[] = [];
  const { layout } = context;

  let gitlab: ReturnType<LinksOutContext['gitlab']> | undefined;
  try {
    gitlab = context.gitlab();
  } catch (e) {
    problems.push(`GitLab: ${messageOf(e)}`);
  }
  if (gitlab) {
    for (const { app, version } of release.apps) {
      const repo = layout.apps[app].repo;
      links.push({
        system: 'gitlab',
        title: `${repo} @ ${version}`,
        url: gitlab.projectUrl(repo, `tree/${encodeURIComponent(version)}`),
      });
    }
  }

  for (const environment of context.environments) {
    try {
      const argocd = context.argocdFor(environment);
      for (const { app } of release.apps) {
        for (const name of argocdAppsOf(layout, app)) {
          links.push({
            system: 'argocd',
            environment,
            title: `${name} (${argocd.instance})`,
            url: argocd.applicationUrl(name),
          });
        }
      }
    } catch (e) {
      problems.push(`Argo CD (${environment}): ${messageOf(e)}`);
    }
    const iac = layout.iac.repos[environment];
    if (gitlab && iac) {
      links.push({
        system: 'gitlab',
        environment,
        title: `${iac} @ ${layout.iac.branch}`,
        url: gitlab.projectUrl(
          iac,
          `commits/${encodeURIComponent(layout.iac.branch)}`,
        ),
      });
    }
    for (const dashboard of context.dashboards) {
      links.push({
        system: 'grafana',
        environment,
        title: dashboard.title,
        url: dashboard.url.replace(PLACEHOLDER, () =>
          encodeURIComponent(environment),
        ),
      });
    }
  }
  if (context.dashboards.length === 0) {
    problems.push(
      'Grafana: no dashboards are configured; add them under release.links.dashboards',
    );
  }
  return problems.length ? { links, problems } : { links };
}
