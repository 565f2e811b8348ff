import type {
  CandidateList,
  ReleaseApp,
  ReleaseCandidate,
} from '@internal/plugin-release-common';
import type {
  JenkinsBuild,
  ReleaseIntegrations,
  ReleaseLayout,
} from '@internal/plugin-release-node';

const DEPLOY_DATE = /(\d{4})-(\d{2})-(\d{2})/;

/** The newest hybris builds read: as many as Jenkins answers without reading every build. */
const BUILDS_READ = 100;

/** Whether a hybris build was built from this version (the job's BRANCH parameter). */
export const isBuildOf = (build: JenkinsBuild, version: string) =>
  build.parameters.BRANCH === version;

/** The fixed part of a branch pattern before its first placeholder, as GitLab's ^-anchored search. */
function searchOf(pattern: string): string {
  const fixed = pattern.split('{')[0];
  return `^${fixed}`;
}

function buildOf(build: JenkinsBuild | undefined): ReleaseCandidate['build'] {
  if (!build) return undefined;
  return {
    number: build.number,
    result: build.result,
    building: build.building,
    url: build.url,
  };
}

/**
 * The versions an app can be released at: hybris deploy branches with their newest Jenkins build,
 * cms commits of the branch it releases from, web commits of its default branch. With
 * `buildsFirst` (release.plan.build), a deploy branch none of whose builds read succeeded or
 * runs is marked as one the release builds.
 */
export async function listCandidates(
  integrations: Pick<ReleaseIntegrations, 'gitlab' | 'has' | 'jenkins'>,
  layout: ReleaseLayout,
  app: ReleaseApp,
  limit = 20,
  options: { buildsFirst?: boolean } = {},
): Promise<CandidateList> {
  const gitlab = integrations.gitlab;
  if (app === 'hybris') {
    const h = layout.apps.hybris;
    const search = searchOf(h.build.branchPattern);
    const branches = await gitlab.listBranches(h.repo, { search, limit: 100 });
    let builds: JenkinsBuild[] = [];
    let buildsError: string | undefined;
    if (integrations.has('jenkins')) {
      try {
        builds = await integrations.jenkins.listBuilds(
          h.build.jenkinsJob,
          BUILDS_READ,
        );
      } catch (e) {
        buildsError = (e as Error).message;
      }
    }
    // Only builds that were read can say a branch has none.
    const marksUnbuilt =
      options.buildsFirst && integrations.has('jenkins') && !buildsError;
    const byDate = (name: string) => DEPLOY_DATE.exec(name)?.[0] ?? name;
    const candidates = branches
      .sort(
        (a, b) =>
          byDate(b.name).localeCompare(byDate(a.name)) ||
          b.name.localeCompare(a.name),
      )
      .slice(0, limit)
      .map(branch => {
        const build = builds.find(b => isBuildOf(b, branch.name));
        const built = buildOf(build);
        const unbuilt =
          marksUnbuilt &&
          !builds.some(
            b =>
              isBuildOf(b, branch.name) &&
              (b.building || b.result === 'SUCCESS'),
          );
        return {
          version: branch.name,
          label: built
            ? `${branch.name} · #${built.number} ${built.result ?? 'building'}`
            : branch.name,
          source: 'branch' as const,
          sha: branch.sha,
          webUrl: branch.webUrl,
          ...(built ? { build: built } : {}),
          ...(unbuilt ? { buildPlanned: true } : {}),
        };
      });
    return {
      app,
      from: `branches ${search} of ${h.repo}`,
      candidates,
      ...(buildsError ? { buildsError } : {}),
    };
  }
  const a = layout.apps[app];
  const ref = app === 'cms' ? layout.apps.cms.branch.from : 'master';
  const commits = await gitlab.listCommits(a.repo, { ref, limit });
  return {
    app,
    from: `commits of ${ref} in ${a.repo}`,
    candidates: commits.map(c => ({
      version: c.sha,
      label: `${c.shortSha} ${c.title}`,
      source: 'commit' as const,
      sha: c.sha,
      date: c.committedDate,
      author: c.authorName,
      title: c.title,
      webUrl: c.webUrl,
    })),
  };
}
