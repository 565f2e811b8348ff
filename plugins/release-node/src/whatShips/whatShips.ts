import {
  isReleaseApp,
  isReleaseVersion,
  minimumGrade,
  releaseApps,
  type GradePolicy,
  type ReleaseItem,
  type WhatShips,
  type WhatShipsCommit,
  type WhatShipsMergeRequest,
} from '@internal/plugin-release-common';
import { minimatch } from 'minimatch';
import type { ArgoCdClient } from '../argocd/ArgoCdClient';
import type {
  GitlabClient,
  GitlabComparedCommit,
  GitlabMergeRequest,
} from '../gitlab/GitlabClient';
import { mergeRequestCommits } from '../gitlab/commitGraph';
import type { ReleaseIntegrations } from '../integrations';
import type { JenkinsClient } from '../jenkins/JenkinsClient';
import type { ReleaseLayout } from '../layout';
import { readDeployedVersion } from './deployed';
import { WhatShipsInputError, WhatShipsNotFoundError } from './errors';
import {
  resolveRunningCommit,
  type RunningCommitSources,
} from './runningCommit';

/** @public */
export interface WhatShipsRequest {
  app: string;
  environment: string;
  /** The version to release: a deploy branch (hybris), a commit (cms, web) or a tag. */
  candidate: string;
  /** The release's items; anything shipping that none of them covers is flagged mixed in. */
  items?: ReleaseItem[];
}

/** The clients and config "what ships" reads. @public */
export interface WhatShipsContext {
  gitlab: GitlabClient;
  /** The Argo CD instance of an environment; undefined when Argo CD is not configured. */
  argocd?: (environment: string) => ArgoCdClient | undefined;
  layout: ReleaseLayout;
  policy: GradePolicy;
  /** The Jenkins that builds hybris, whose git data says what a running image was built from. */
  jenkins?: () => Pick<JenkinsClient, 'getBuild' | 'readImageTag'> | undefined;
  /** The build a release recorded that pushed an image tag, with the commit it built. */
  recordedBuild?: RunningCommitSources['recordedBuild'];
}

const DB_CHANGE = 'dbChange';
const TAG = /^\s*(\[[^\]]*\]\s*)+/;
/** How many commit diffs are read at once. */
const DIFF_CONCURRENCY = 4;

const normalize = (title: string) =>
  title.normalize('NFC').replace(/\s+/g, ' ').trim().toLocaleLowerCase('en');

/** Same title, or the same once the [TAG] prefix is dropped from the side that has one. */
function sameTitle(a: string, b: string): boolean {
  if (normalize(a) === normalize(b)) return true;
  const [ta, tb] = [TAG.test(a), TAG.test(b)];
  return (
    ta !== tb && normalize(a.replace(TAG, '')) === normalize(b.replace(TAG, ''))
  );
}

const sameProject = (a: string, b: string) =>
  a.replace(/^\/+|\/+$/g, '').toLowerCase() === b.toLowerCase();

async function mapLimited<T, R>(
  values: T[],
  limit: number,
  fn: (value: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(values.length);
  let next = 0;
  const worker = async () => {
    while (next < values.length) {
      const i = next++;
      out[i] = await fn(values[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, values.length) }, worker),
  );
  return out;
}

/** The commits each merge request brought: its merge commit and what that merged in. */
function commitsOf(
  mrs: GitlabMergeRequest[],
  commits: GitlabComparedCommit[],
): Map<number, { anchor: string; shas: Set<string> }> {
  const bySha = new Map(commits.map(c => [c.sha, c]));
  const result = new Map<number, { anchor: string; shas: Set<string> }>();
  for (const mr of mrs) {
    const landed = mergeRequestCommits(mr, bySha);
    if (landed) result.set(mr.iid, landed);
  }
  return result;
}

function classify(
  paths: string[],
  classes: Record<string, string[]>,
): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(classes).map(([name, patterns]) => [
      name,
      paths.filter(p => patterns.some(g => minimatch(p, g, { dot: true }))),
    ]),
  );
}

/**
 * Exactly what a release of `app` to `environment` at `candidate` ships: the commits and merged
 * merge requests between the version that runs (IaC repository, checked against Argo CD; for a
 * hybris image tag, the commit its build built) and the candidate, each mapped to a release item
 * or flagged mixed in, the change classes of the paths they touch, and the grade floor those raise.
 *
 * @public
 */
export async function whatShips(
  request: WhatShipsRequest,
  context: WhatShipsContext,
): Promise<WhatShips> {
  const { layout, policy, gitlab } = context;
  const { app, environment, candidate } = request;
  const items = request.items ?? [];
  if (!isReleaseApp(app)) {
    throw new WhatShipsInputError(
      'app',
      `unknown app '${app}' (kop's apps are ${releaseApps.join(', ')})`,
    );
  }
  if (!Object.keys(layout.iac.repos).includes(environment)) {
    throw new WhatShipsInputError(
      'environment',
      `unknown environment '${environment}' (release.iac.repos has ${Object.keys(
        layout.iac.repos,
      ).join(', ')})`,
    );
  }
  if (!isReleaseVersion(app, candidate)) {
    throw new WhatShipsInputError(
      'candidate',
      `'${candidate}' is not a ${app} version (${
        app === 'hybris' ? 'a deploy-YYYY-MM-DD branch' : 'a commit SHA'
      } or a semver tag)`,
    );
  }
  const project = layout.apps[app].repo;

  let argocd: ArgoCdClient | undefined;
  const warnings: string[] = [];
  try {
    argocd = context.argocd?.(environment);
  } catch (e) {
    warnings.push(
      `Argo CD: ${(e as Error).message}; the IaC repository's version is used`,
    );
  }
  const [read, candidateSha] = await Promise.all([
    readDeployedVersion({ app, environment, layout, gitlab, argocd }),
    gitlab.resolveRef(project, candidate),
  ]);
  warnings.push(...read.warnings);
  if (!candidateSha) {
    throw new WhatShipsNotFoundError(
      'candidate',
      `'${candidate}' is not a branch, tag or commit of ${project}`,
    );
  }
  const running = await resolveRunningCommit(app, read.deployed.version, {
    gitlab,
    layout,
    jenkins: context.jenkins,
    recordedBuild: context.recordedBuild,
  });
  if (!running) {
    const { file, key, project: iac } = read.deployed.iac;
    throw new WhatShipsNotFoundError(
      'deployed',
      `the version that runs, '${read.deployed.version}' (${
        read.deployed.source === 'iac'
          ? `${key} in ${file} of ${iac}`
          : `Argo CD's ${read.deployed.argocdApp}`
      }), is not a branch, tag or commit of ${project}${
        app === 'hybris'
          ? ', nor the image tag of a build a release recorded or Jenkins has'
          : ''
      }`,
    );
  }
  warnings.push(...running.warnings);
  const deployedSha = running.sha;

  const same = deployedSha === candidateSha;
  const [forward, backward] = same
    ? [undefined, undefined]
    : await Promise.all([
        gitlab.compare(project, deployedSha, candidateSha),
        gitlab.compare(project, candidateSha, deployedSha),
      ]);
  const commits = forward?.commits ?? [];
  const mrs = forward?.mergeRequests ?? [];
  const behind = backward?.commits.length ?? 0;

  // Merge commits' paths are their merge request's, already read by compare.
  const mrPathsByAnchor = new Map<string, string[]>();
  const owned = commitsOf(mrs, commits);
  for (const mr of mrs) {
    const own = owned.get(mr.iid);
    if (own) mrPathsByAnchor.set(own.anchor, mr.changedPaths ?? []);
  }
  const commitPaths = await mapLimited(commits, DIFF_CONCURRENCY, c =>
    mrPathsByAnchor.has(c.sha)
      ? Promise.resolve(mrPathsByAnchor.get(c.sha)!)
      : gitlab.commitPaths(project, c.sha),
  );
  const isMerge = new Map(commits.map(c => [c.sha, c.parentShas.length > 1]));

  // A merge request all of whose commits came through other merge requests only carries them.
  const carries = new Map<number, number[]>();
  for (const mr of mrs) {
    const own = owned.get(mr.iid);
    if (!own || own.shas.size < 2) continue;
    const inner = [...own.shas].filter(s => s !== own.anchor);
    const others = mrs.filter(
      o =>
        o.iid !== mr.iid &&
        owned.get(o.iid) &&
        own.shas.has(owned.get(o.iid)!.anchor),
    );
    const covered = (sha: string) =>
      isMerge.get(sha) || others.some(o => owned.get(o.iid)!.shas.has(sha));
    if (others.length && inner.every(covered)) {
      carries.set(
        mr.iid,
        others.map(o => o.iid),
      );
    }
  }

  const mine = (item: ReleaseItem) =>
    item.app === undefined || item.app === app;
  const matchMr = (mr: GitlabMergeRequest): number | undefined => {
    const bySource = items.findIndex(it => {
      if (!mine(it)) return false;
      const s = it.source;
      if (s.type === 'mr')
        return sameProject(s.project, project) && s.iid === mr.iid;
      if (s.type === 'commit') {
        return (
          sameProject(s.project, project) &&
          [mr.mergeCommitSha, mr.squashCommitSha, mr.sha].some(
            sha => sha && sha.startsWith(s.sha),
          )
        );
      }
      return false;
    });
    if (bySource >= 0) return bySource;
    const byTitle = items.findIndex(
      it => mine(it) && sameTitle(it.title, mr.title),
    );
    return byTitle >= 0 ? byTitle : undefined;
  };
  const matchCommit = (c: GitlabComparedCommit): number | undefined => {
    const i = items.findIndex(
      it =>
        mine(it) &&
        ((it.source.type === 'commit' &&
          sameProject(it.source.project, project) &&
          c.sha.startsWith(it.source.sha)) ||
          sameTitle(it.title, c.title)),
    );
    return i >= 0 ? i : undefined;
  };

  const mergeRequests: WhatShipsMergeRequest[] = mrs.map(mr => {
    const paths = mr.changedPaths ?? [];
    const classes = classify(paths, layout.changeClasses);
    const carried = carries.get(mr.iid) ?? [];
    const item = carried.length ? undefined : matchMr(mr);
    return {
      iid: mr.iid,
      title: mr.title,
      url: mr.webUrl,
      author: mr.author,
      mergedAt: mr.mergedAt,
      sourceBranch: mr.sourceBranch,
      targetBranch: mr.targetBranch,
      paths,
      ...(item !== undefined ? { item } : {}),
      mixedIn: carried.length === 0 && item === undefined,
      changeClasses: Object.keys(classes).filter(k => classes[k].length),
      carries: carried,
    };
  });
  const mrByIid = new Map(mergeRequests.map(m => [m.iid, m]));

  const shippedCommits: WhatShipsCommit[] = commits.map((c, i) => {
    // The innermost merge request: the smallest commit set that holds this commit.
    const owner = mrs
      .map(m => ({ iid: m.iid, own: owned.get(m.iid) }))
      .filter(o => o.own?.shas.has(c.sha))
      .sort((a, b) => a.own!.shas.size - b.own!.shas.size)[0];
    const mr = owner ? mrByIid.get(owner.iid) : undefined;
    const direct = matchCommit(c);
    const item = direct ?? mr?.item;
    const merge = isMerge.get(c.sha) ?? false;
    let mixedIn: boolean;
    if (item !== undefined) mixedIn = false;
    else if (mr) mixedIn = mr.mixedIn;
    else mixedIn = !merge;
    return {
      sha: c.sha,
      shortSha: c.shortSha,
      title: c.title,
      author: c.authorName,
      authoredDate: c.authoredDate,
      url: c.webUrl,
      paths: commitPaths[i],
      ...(mr ? { mergeRequest: mr.iid } : {}),
      merge,
      ...(item !== undefined ? { item } : {}),
      mixedIn,
    };
  });

  // A path touched by any shipping commit counts, even when a later commit reverts it.
  const changedPaths = [
    ...new Set([...(forward?.changedPaths ?? []), ...commitPaths.flat()]),
  ].sort();
  const changeClasses = classify(changedPaths, layout.changeClasses);
  const found = Object.keys(changeClasses).filter(k => changeClasses[k].length);

  const matched = new Set<number>(
    [...mergeRequests, ...shippedCommits]
      .map(x => x.item)
      .filter((i): i is number => i !== undefined),
  );
  const missingItems = items
    .map((it, i) => ({ it, i }))
    .filter(
      ({ it, i }) =>
        !matched.has(i) &&
        (it.app === app ||
          (it.source.type !== 'asana' &&
            sameProject(it.source.project, project))),
    )
    .map(({ i }) => i);

  const tag = `[${app.toUpperCase()}]`;
  const proposedItems: ReleaseItem[] = mergeRequests
    .filter(m => m.carries.length === 0)
    .map(m => ({
      title: TAG.test(m.title) ? m.title.trim() : `${tag} ${m.title.trim()}`,
      app,
      source: { type: 'mr', project, iid: m.iid, url: m.url },
    }));

  return {
    app,
    environment,
    project,
    deployed: { ...read.deployed, sha: deployedSha, commit: running.commit },
    candidate: { version: candidate, sha: candidateSha },
    newer: commits.length > 0 && behind === 0,
    ahead: commits.length,
    behind,
    commits: shippedCommits,
    mergeRequests,
    changedPaths,
    changeClasses,
    dbUpdate: (changeClasses[DB_CHANGE] ?? []).length > 0,
    minimumGrade: minimumGrade(policy, found),
    proposedItems,
    missingItems,
    warnings,
  };
}

/**
 * The context of {@link whatShips} from the portal's integrations: GitLab, Argo CD for the
 * environments it serves, Jenkins when configured, and the builds the releases recorded.
 *
 * @public
 */
export function whatShipsContext(
  integrations: Pick<
    ReleaseIntegrations,
    'gitlab' | 'argocd' | 'has' | 'jenkins'
  >,
  options: {
    layout: ReleaseLayout;
    policy: GradePolicy;
    recordedBuild?: WhatShipsContext['recordedBuild'];
  },
): WhatShipsContext {
  return {
    gitlab: integrations.gitlab,
    argocd: environment =>
      integrations.has('argocd')
        ? integrations.argocd.forEnvironment(environment)
        : undefined,
    jenkins: () =>
      integrations.has('jenkins') ? integrations.jenkins : undefined,
    ...options,
  };
}
