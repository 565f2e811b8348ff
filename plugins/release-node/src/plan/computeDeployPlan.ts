import {
  isReleaseApp,
  isReleaseVersion,
  renderReleaseNotes,
  type DeployBuiltImage,
  type DeployCall,
  type DeployPlan,
  type DeployPlanStep,
  type GradePolicy,
  type Release,
  type ReleaseApp,
} from '@internal/plugin-release-common';
import { readYamlValues } from '../gitlab/yamlRead';
import { readSwitchColour, type ReleaseLayout } from '../layout';
import { computeConfigPlan } from './configPlan';
import { DeployPlanConflictError, DeployPlanInputError } from './errors';
import { deployPlanFingerprint } from './fingerprint';
import {
  commitMessage,
  hybrisMetricChecks,
  hybrisRaiseGate,
  planGitSteps,
  planTarget,
  type PlanStepBase,
} from './planSteps';
import { defaultDeployPlanSettings, type DeployPlanSettings } from './settings';

/**
 * One reading of the live hybris colour: the colour, or why there is none, and where it was read.
 * The readings of `readLiveColour` have this shape.
 *
 * @public
 */
export interface DeployPlanColourReading {
  /** Where it was read, e.g. "hybris/values.yaml at 1a2b3c4d5e6f of kop/kop-deploy-prod". */
  at: string;
  colour?: string;
  error?: { message: string };
}

/**
 * A successful Jenkins build of a release's version made before the release, with the image tag
 * it pushed.
 *
 * @public
 */
export interface DeployPlanBuild {
  app: ReleaseApp;
  version: string;
  job: string;
  number: number;
  imageTag: string;
}

/**
 * The world a plan is computed from, read by the caller so the plan itself reads nothing: the IaC
 * branch head, the values files there, the live hybris colour as IaC and Argo CD read it, and the
 * builds of the release's versions Jenkins already has.
 *
 * @public
 */
export interface DeployPlanWorld {
  /** Head commit of the environment's IaC branch that `files` were read at. */
  baseSha: string;
  /** Values file → its text at `baseSha`: every file {@link deployPlanFiles} names. */
  files: Record<string, string>;
  /** Needed when hybris deploys: the switch keys at the IaC head and at the revision Argo CD synced. */
  live?: { iac: DeployPlanColourReading; argocd?: DeployPlanColourReading };
  /** The newest successful build of each version the release has not recorded a build of. */
  builds?: DeployPlanBuild[];
}

/** @public */
export interface DeployPlanInput {
  release: Release;
  policy: GradePolicy;
  layout: ReleaseLayout;
  settings?: DeployPlanSettings;
  environment: string;
  world: DeployPlanWorld;
  /** Deploy only these apps of the release (default all), still in the configured order. */
  only?: ReleaseApp[];
}

/** A version is written as an image tag, which takes no `+` (semver build metadata). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What the steps write for the image tag a build step of the plan pushes, until it has run. */
export function builtImagePlaceholder(stepId: string): string {
  return `<image tag from ${stepId}>`;
}

/**
 * The values files a plan for these apps reads, so the caller knows what to put in
 * {@link DeployPlanWorld.files}.
 *
 * @public
 */
export function deployPlanFiles(
  layout: ReleaseLayout,
  apps: ReleaseApp[],
): string[] {
  const files = new Set<string>();
  for (const app of apps) {
    if (app === 'hybris') {
      const h = layout.apps.hybris;
      Object.values(h.colours).forEach(c => files.add(c.values));
      files.add(h.switch.values);
    } else {
      const a = layout.apps[app];
      a.argocdApps.forEach(argocdApp => files.add(a.values[argocdApp]));
    }
  }
  return [...files];
}

/** Checks a list of replica steps, naming the field at fault through `fail`. */
function checkSteps(
  steps: unknown[],
  field: string,
  maxReplicas: number,
  fail: (field: string, message: string) => never,
): number[] {
  return steps.map((n, k) => {
    const at = `${field}[${k}]`;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      fail(
        at,
        `must be a whole number of replicas above 0, got ${JSON.stringify(n)}`,
      );
    }
    if (n > maxReplicas) {
      fail(
        at,
        `is ${n}, above hybris's maximum of ${maxReplicas} replicas (release.apps.hybris.maxReplicas)`,
      );
    }
    const previous = steps[k - 1] as number;
    if (k > 0 && n <= previous) {
      fail(
        at,
        `is ${n}, not more than ${field}[${
          k - 1
        }] (${previous}): steps must increase`,
      );
    }
    return n;
  });
}

function inputError(field: string, message: string): never {
  throw new DeployPlanInputError(field, message);
}

function configError(field: string, message: string): never {
  throw new Error(`${field} ${message}`);
}

/** Which apps deploy, each with its release entry, in the configured order; every field checked. */
function checkRelease(input: DeployPlanInput, settings: DeployPlanSettings) {
  const { release, only } = input;
  if (!release.apps.length) inputError('apps', 'is empty: nothing to deploy');
  const seen = new Map<ReleaseApp, number>();
  release.apps.forEach((a, i) => {
    if (!isReleaseApp(a.app)) {
      inputError(
        `apps[${i}].app`,
        `'${a.app}' is not an app of the release layout (hybris, cms, web)`,
      );
    }
    if (seen.has(a.app)) {
      inputError(
        `apps[${i}]`,
        `names ${a.app} again (already apps[${seen.get(a.app)}])`,
      );
    }
    seen.set(a.app, i);
    if (typeof a.version !== 'string' || !isReleaseVersion(a.app, a.version)) {
      inputError(
        `apps[${i}].version`,
        `${JSON.stringify(a.version)} is not a ${a.app} version (${
          a.app === 'hybris' ? 'deploy-YYYY-MM-DD' : 'a commit'
        } or a semver tag)`,
      );
    }
    if (!IMAGE_TAG.test(a.version)) {
      inputError(
        `apps[${i}].version`,
        `'${a.version}' cannot be an image tag (letters, digits, '.', '_', '-')`,
      );
    }
    if (a.steps !== undefined && a.app !== 'hybris' && a.steps.length) {
      inputError(`apps[${i}].steps`, `is for hybris only; ${a.app} has none`);
    }
    if (a.steps?.length) {
      checkSteps(
        a.steps,
        `apps[${i}].steps`,
        settings.hybris.maxReplicas,
        inputError,
      );
    }
  });
  (only ?? []).forEach((app, k) => {
    if (!seen.has(app)) {
      inputError(
        `only[${k}]`,
        `'${app}' is not an app of this release (${release.apps
          .map(a => a.app)
          .join(', ')})`,
      );
    }
  });
  const chosen = settings.order.filter(
    app => seen.has(app) && (!only || only.includes(app)),
  );
  if (!chosen.length) inputError('only', 'is empty: nothing to deploy');
  return chosen.map(app => ({ app, index: seen.get(app)! }));
}

/**
 * Computes the deploy plan of a release for one environment from a snapshot of the world, reading
 * and writing nothing: every step in order with its IaC edit and diff (each step's diff made on top
 * of the previous step's files), the Argo CD apps it syncs, its gate and its expected time, and the
 * fingerprint approvers approve.
 *
 * hybris goes blue/green in steps on the idle colour (image, then each replica step); cms is cut
 * from its from-branch, merged through a merge request and put on its Argo CD apps; web is set and
 * synced. Then the sign-off, the switch with its watch, the announcement and the old colour going
 * down `scaleDownBy` at a time. Bad input is a {@link DeployPlanInputError} naming the field; a live
 * colour that IaC and Argo CD read differently, or a switch half done, a {@link DeployPlanConflictError}.
 * A config release (`release.config`) is planned by {@link computeConfigPlan} instead.
 *
 * @public
 */
export function computeDeployPlan(input: DeployPlanInput): DeployPlan {
  if (input.release.config) return computeConfigPlan(input);
  const { release, policy, layout, environment, world } = input;
  const settings = input.settings ?? defaultDeployPlanSettings;
  const { project, at } = planTarget(layout, environment, world.baseSha);
  const chosen = checkRelease(input, settings);
  for (const path of deployPlanFiles(
    layout,
    chosen.map(c => c.app),
  )) {
    if (typeof world.files[path] !== 'string') {
      inputError('world.files', `has no ${path} (read it ${at})`);
    }
  }

  const notes = renderReleaseNotes(release, policy);
  const product = release.product;
  const message = (subject: string, stepId: string) =>
    commitMessage(subject, notes.announcement, release.id, stepId);
  const stages = settings.stages;
  const built = stages?.build
    ? buildSteps(input, chosen, settings)
    : { steps: [], notes: [], images: [] };
  const { valueOf, replicasOf, gitStep, files } = planGitSteps({
    layout,
    environment,
    files: world.files,
    at,
    message,
    imagePlaceholders: built.images.map(b => b.placeholder),
  });
  const callStep = (base: PlanStepBase, call: DeployCall): DeployPlanStep => ({
    ...base,
    kind: 'call',
    call,
  });

  const steps: DeployPlanStep[] = [...built.steps];
  const planNotes: string[] = [...built.notes];
  const beta =
    stages?.beta?.environment === environment ? stages.beta : undefined;
  // hybris adds its switch before the announcement and its scale-down after it.
  const beforeAnnounce: Array<() => void> = [];
  const afterAnnounce: Array<() => void> = [];
  const t = settings.expectedMs;
  let hybrisColours: DeployPlan['hybris'];

  for (const { app, index } of chosen) {
    const entry = release.apps[index];
    const version = entry.version;
    if (app === 'hybris') {
      const h = layout.apps.hybris;
      const colours = Object.keys(h.colours);
      if (colours.length !== 2) {
        configError(
          'release.apps.hybris.colours',
          `must name exactly two colours for blue/green, got ${colours.join(
            ', ',
          )}`,
        );
      }
      if (!Number.isInteger(h.scaleDownBy) || h.scaleDownBy < 1) {
        configError(
          'release.apps.hybris.scaleDownBy',
          `must be a whole number above 0, got ${h.scaleDownBy}`,
        );
      }
      const stepCounts = entry.steps?.length
        ? entry.steps
        : checkSteps(
            h.steps,
            'release.apps.hybris.steps',
            settings.hybris.maxReplicas,
            configError,
          );
      const watched = settings.hybris.switchWatchMetrics.map(name => {
        const metric = h.gates.metrics.find(m => m.name === name);
        return (
          metric ??
          configError(
            'release.apps.hybris.switch.watchMetrics',
            `names '${name}', which is not one of release.apps.hybris.gates.metrics (${h.gates.metrics
              .map(m => m.name)
              .join(', ')})`,
          )
        );
      });

      const { live, idle } = liveAndIdle(
        input,
        colours,
        files[h.switch.values],
        at,
      );
      hybrisColours = { live, idle };
      const target = h.colours[idle];
      const old = h.colours[live];
      const running = replicasOf(target.values, target.replicas);
      const image = valueOf(target.values, target.image);
      const fromBuild = built.images.find(b => b.app === app);
      const tag = fromBuild?.placeholder ?? hybrisTagOf(input, version);
      let shown = tag === version ? version : `${tag} (${version})`;
      if (fromBuild) {
        shown = `the image ${fromBuild.step} pushes for ${version}`;
      }
      if (running > 0 && image !== tag) {
        throw new DeployPlanConflictError(
          `hybris: ${target.argocdApp}, the idle colour, runs ${running} replicas of ${image} (${target.values} ${at}); scale it to 0 before a release puts ${shown} on it`,
        );
      }
      const metricChecks = (colour: string) =>
        hybrisMetricChecks(h, environment, colour);

      steps.push(
        gitStep(
          {
            id: 'hybris.image',
            app,
            phase: 'deploying',
            title: `Put ${shown} on ${target.argocdApp}, the idle colour`,
            subject: `[${product}] hybris ${version} → ${idle}`,
            sync: [target.argocdApp],
            gate: { type: 'healthy', argocdApps: [target.argocdApp] },
            expectedMs: t.sync,
            hybris: { colour: idle, role: 'new', replicas: running },
          },
          [{ argocdApp: target.argocdApp, key: target.image, value: tag }],
        ),
      );
      for (const n of stepCounts) {
        if (n < running) {
          planNotes.push(
            `hybris: ${target.argocdApp} already runs ${running} replicas of ${tag}, past the step to ${n}`,
          );
          continue;
        }
        steps.push(
          gitStep(
            {
              id: `hybris.scale-up.${n}`,
              app,
              phase: 'deploying',
              title: `Raise ${target.argocdApp} to ${n} replicas`,
              subject: `[${product}] hybris ${version} → ${idle} ${n}`,
              sync: [target.argocdApp],
              gate: hybrisRaiseGate(h, environment, idle, n),
              expectedMs: t.sync + t.hybrisPodStart + h.gates.soakMs,
              hybris: { colour: idle, role: 'new', replicas: n },
            },
            [{ argocdApp: target.argocdApp, key: target.replicas, value: n }],
          ),
        );
      }

      beforeAnnounce.push(() => {
        if (release.dbUpdate && !beta) {
          steps.push({
            id: 'hybris.db-schema-ack',
            kind: 'wait',
            app,
            phase: 'awaiting_signoff',
            title: `Confirm that ${old.argocdApp} (${String(
              valueOf(old.values, old.image),
            )}, serving now) tolerates the new database schema`,
            sync: [],
            gate: { type: 'acknowledgement', subject: 'db-schema' },
          });
        }
        const watchChecks = metricChecks(idle).filter(c =>
          watched.some(m => m.name === c.name),
        );
        steps.push(
          gitStep(
            {
              id: 'hybris.switch',
              app,
              phase: 'switching',
              title: `Switch traffic from ${live} to ${idle}`,
              subject: `[${product}] hybris switch → ${idle}`,
              sync: [h.switch.argocdApp],
              gate: {
                type: 'watch',
                colour: idle,
                windowMs: settings.hybris.switchWatchMs,
                checks: watchChecks,
                onBreach: 'switch-back',
              },
              expectedMs: t.sync + settings.hybris.switchWatchMs,
              hybris: { colour: idle, role: 'switch' },
            },
            h.switch.keys.map(key => ({
              argocdApp: h.switch.argocdApp,
              key,
              value: idle,
            })),
          ),
        );
      });
      afterAnnounce.push(() => {
        const serving = replicasOf(old.values, old.replicas);
        const counts: number[] = [];
        for (let n = serving; n > 0; ) {
          n = Math.max(0, n - h.scaleDownBy);
          counts.push(n);
        }
        for (const n of counts) {
          steps.push(
            gitStep(
              {
                id: `hybris.scale-down.${n}`,
                app,
                phase: 'scaling_down',
                title: `Lower ${old.argocdApp} to ${n} replicas`,
                subject: `[${product}] hybris ${live} → ${n}`,
                sync: [old.argocdApp],
                gate: { type: 'healthy', argocdApps: [old.argocdApp] },
                expectedMs: t.sync,
                hybris: { colour: live, role: 'old', replicas: n },
              },
              [{ argocdApp: old.argocdApp, key: old.replicas, value: n }],
            ),
          );
        }
      });
    } else if (app === 'cms') {
      const cms = layout.apps.cms;
      const branch = `release/${release.id.slice(0, 8)}`;
      const mr = {
        project: cms.repo,
        sourceBranch: branch,
        targetBranch: cms.branch.into,
      };
      steps.push(
        callStep(
          {
            id: 'cms.branch',
            app,
            phase: 'deploying',
            title: `Cut ${branch} from ${version} on ${cms.branch.from} in ${cms.repo}`,
            sync: [],
            gate: { type: 'none' },
            expectedMs: t.call,
          },
          {
            system: 'gitlab',
            operation: 'create-branch',
            target: {
              project: cms.repo,
              branch,
              ref: version,
              from: cms.branch.from,
            },
          },
        ),
        callStep(
          {
            id: 'cms.merge-request',
            app,
            phase: 'deploying',
            title: `Open a merge request ${branch} → ${cms.branch.into} and wait for its pipeline`,
            sync: [],
            gate: { type: 'pipeline', project: cms.repo, sourceBranch: branch },
            expectedMs: t.call + t.pipeline,
          },
          {
            system: 'gitlab',
            operation: 'open-merge-request',
            target: mr,
            message: message(
              `[${product}] cms ${version}`,
              'cms.merge-request',
            ),
          },
        ),
        callStep(
          {
            id: 'cms.merge',
            app,
            phase: 'deploying',
            title: `Merge ${branch} into ${cms.branch.into}`,
            sync: [],
            gate: { type: 'none' },
            expectedMs: t.call,
          },
          { system: 'gitlab', operation: 'merge', target: mr },
        ),
        gitStep(
          {
            id: 'cms.version',
            app,
            phase: 'deploying',
            title: `Put ${version} on ${cms.argocdApps.join(' and ')}`,
            subject: `[${product}] cms ${version}`,
            sync: cms.argocdApps,
            gate: { type: 'healthy', argocdApps: cms.argocdApps },
            expectedMs: t.sync,
          },
          cms.argocdApps.map(argocdApp => ({
            argocdApp,
            key: cms.imageKey,
            value: version,
          })),
        ),
      );
    } else {
      const web = layout.apps.web;
      steps.push(
        gitStep(
          {
            id: 'web.version',
            app,
            phase: 'deploying',
            title: `Put ${version} on ${web.argocdApps.join(' and ')}`,
            subject: `[${product}] web ${version}`,
            sync: web.argocdApps,
            gate: { type: 'healthy', argocdApps: web.argocdApps },
            expectedMs: t.sync,
          },
          web.argocdApps.map(argocdApp => ({
            argocdApp,
            key: web.imageKey,
            value: version,
          })),
        ),
      );
    }
  }

  const postDeploy = stages?.postDeployTests;
  if (postDeploy?.environments.includes(environment)) {
    steps.push(
      callStep(
        {
          id: 'tests.post-deploy',
          phase: 'verifying',
          title: `Run the post-deploy tests on ${environment}: ${postDeploy.tests
            .map(test => test.name)
            .join(', ')}`,
          sync: [],
          gate: { type: 'none' },
          tests: postDeploy.tests,
          expectedMs: t.tests,
        },
        {
          system: 'tests',
          operation: 'post-deploy-tests',
          target: { environment },
        },
      ),
    );
  }
  if (beta) {
    // A release tried on beta is neither signed off nor announced there.
    beforeAnnounce.forEach(add => add());
    afterAnnounce.forEach(add => add());
    if (beta.paymentTests) {
      const { jenkinsJob, brands } = beta.paymentTests;
      steps.push(
        callStep(
          {
            id: 'tests.payment',
            phase: 'deploying',
            title: `Run the payment tests on ${environment} for ${brands.join(
              ', ',
            )} (${jenkinsJob})`,
            sync: [],
            gate: { type: 'none' },
            expectedMs: t.tests,
          },
          {
            system: 'jenkins',
            operation: 'payment-tests',
            target: { job: jenkinsJob, brands: brands.join(','), environment },
          },
        ),
      );
    }
  } else {
    steps.push({
      id: 'signoff',
      kind: 'wait',
      phase: 'awaiting_signoff',
      title: 'Wait for the sign-off of the post-deploy test results',
      sync: [],
      gate: {
        type: 'approval',
        stage: 'signoff',
        roles: [...policy.signoff.approve],
      },
    });
    beforeAnnounce.forEach(add => add());
    steps.push(
      callStep(
        {
          id: 'announce',
          phase: 'announced',
          title: 'Announce the release',
          sync: [],
          gate: { type: 'none' },
          expectedMs: t.call,
        },
        {
          system: 'slack',
          operation: 'announce',
          target: { releaseId: release.id },
          message: notes.announcement,
        },
      ),
    );
    afterAnnounce.forEach(add => add());
  }
  return finishPlan(
    input,
    project,
    world.baseSha,
    hybrisColours,
    steps,
    planNotes,
    built.images,
  );
}

/** The plan of these steps, with its expected time and fingerprint. */
function finishPlan(
  input: DeployPlanInput,
  project: string,
  baseSha: string,
  hybris: DeployPlan['hybris'],
  steps: DeployPlanStep[],
  notes: string[],
  builtImages: DeployBuiltImage[],
): DeployPlan {
  const plan = {
    releaseId: input.release.id,
    environment: input.environment,
    iac: { project, branch: input.layout.iac.branch, baseSha },
    ...(hybris ? { hybris } : {}),
    steps,
    ...(builtImages.length ? { builtImages } : {}),
    expectedMs: steps.reduce((sum, s) => sum + (s.expectedMs ?? 0), 0),
    notes,
  };
  return { ...plan, fingerprint: deployPlanFingerprint(plan) };
}

/** The release's successful build of an app's version, one a deploy can use (hybris: with its tag). */
function recordedBuild(release: Release, app: ReleaseApp, version: string) {
  const index = (release.builds ?? []).findIndex(
    b =>
      b.app === app &&
      b.version === version &&
      b.result === 'success' &&
      (app !== 'hybris' || b.imageTag !== undefined),
  );
  return index < 0 ? undefined : { build: release.builds![index], index };
}

/**
 * The image tag hybris's version is deployed as when no build step of the plan gives it: the tag
 * of the build the release recorded, else of the build Jenkins already has, else the version.
 */
function hybrisTagOf(input: DeployPlanInput, version: string): string {
  const recorded = recordedBuild(input.release, 'hybris', version);
  if (recorded) {
    const tag = recorded.build.imageTag!;
    if (!IMAGE_TAG.test(tag)) {
      inputError(
        `release.builds[${recorded.index}].imageTag`,
        `'${tag}' is not an image tag (letters, digits, '.', '_', '-')`,
      );
    }
    return tag;
  }
  return worldBuild(input, 'hybris', version)?.imageTag ?? version;
}

/** The build of the version Jenkins already has, its image tag checked. */
function worldBuild(
  input: DeployPlanInput,
  app: ReleaseApp,
  version: string,
): DeployPlanBuild | undefined {
  const builds = input.world.builds ?? [];
  const index = builds.findIndex(b => b.app === app && b.version === version);
  if (index < 0) return undefined;
  const found = builds[index];
  if (!Number.isInteger(found.number) || found.number < 1) {
    inputError(
      `world.builds[${index}].number`,
      `must be a build number, got ${JSON.stringify(found.number)}`,
    );
  }
  if (typeof found.imageTag !== 'string' || !IMAGE_TAG.test(found.imageTag)) {
    inputError(
      `world.builds[${index}].imageTag`,
      `${JSON.stringify(
        found.imageTag,
      )} is not an image tag (letters, digits, '.', '_', '-')`,
    );
  }
  return found;
}

/**
 * The first steps: each chosen app's version built unless the release recorded a successful
 * build of it; hybris by its Jenkins job, cms and web by their version's GitLab pipeline. A hybris
 * build Jenkins already has is followed by its number and its tag written; one still to run gives
 * its tag through a placeholder the run fills in.
 */
function buildSteps(
  input: DeployPlanInput,
  chosen: Array<{ app: ReleaseApp; index: number }>,
  settings: DeployPlanSettings,
): { steps: DeployPlanStep[]; notes: string[]; images: DeployBuiltImage[] } {
  const { release, layout } = input;
  const steps: DeployPlanStep[] = [];
  const notes: string[] = [];
  const images: DeployBuiltImage[] = [];
  for (const { app, index } of chosen) {
    const version = release.apps[index].version;
    const built = recordedBuild(release, app, version)?.build;
    if (built) {
      notes.push(
        `${app}: ${version} was built (${built.job} #${built.buildNumber}${
          built.imageTag ? `, ${built.imageTag}` : ''
        }); no build step`,
      );
      continue;
    }
    if (app === 'hybris') {
      const job = layout.apps.hybris.build.jenkinsJob;
      const id = 'hybris.build';
      const before = worldBuild(input, app, version);
      if (before) {
        notes.push(
          `hybris: ${version} was built before the release (${before.job} #${before.number}, ${before.imageTag}); ${id} records that build`,
        );
      } else {
        const placeholder = builtImagePlaceholder(id);
        images.push({ placeholder, step: id, app, version });
        notes.push(
          `hybris: the image tag is the one ${id} pushes for ${version}; the steps show ${placeholder} until that build has run`,
        );
      }
      steps.push({
        id,
        kind: 'call',
        app,
        phase: 'deploying',
        title: before
          ? `Record ${before.job} #${before.number} of ${version} (${before.imageTag}), built before the release`
          : `Build ${version} with ${job} in Jenkins, unless a build of it succeeded`,
        sync: [],
        gate: { type: 'none' },
        expectedMs: before
          ? settings.expectedMs.call
          : settings.expectedMs.build,
        call: {
          system: 'jenkins',
          operation: 'build',
          target: before
            ? { job: before.job, app, version, number: String(before.number) }
            : { job, app, version },
        },
      });
    } else {
      const repo = layout.apps[app].repo;
      steps.push({
        id: `${app}.pipeline`,
        kind: 'wait',
        app,
        phase: 'deploying',
        title: `Wait for the GitLab pipeline of ${version} in ${repo}`,
        sync: [],
        gate: { type: 'commit-pipeline', project: repo, ref: version },
        expectedMs: settings.expectedMs.pipeline,
      });
    }
  }
  return { steps, notes, images };
}

/**
 * The live colour, which IaC and Argo CD must both name and the snapshot's switch file must hold,
 * and the other one.
 */
function liveAndIdle(
  input: DeployPlanInput,
  colours: string[],
  switchText: string,
  at: string,
): { live: string; idle: string } {
  const h = input.layout.apps.hybris;
  const live = input.world.live;
  const field = 'world.live';
  if (!live?.iac || !live.argocd) {
    inputError(
      live?.iac ? `${field}.argocd` : field,
      'is required when hybris deploys: the live colour is read from IaC and Argo CD both',
    );
  }
  const readings = { iac: live.iac, argocd: live.argocd };
  for (const [source, reading] of Object.entries(readings)) {
    const system = source === 'iac' ? 'IaC' : 'Argo CD';
    if (reading.colour === undefined) {
      throw new DeployPlanConflictError(
        `hybris: the live colour could not be read from ${system} (${
          reading.at
        }): ${reading.error?.message ?? 'no colour'}`,
      );
    }
    if (!colours.includes(reading.colour)) {
      inputError(
        `${field}.${source}.colour`,
        `'${
          reading.colour
        }' is not a hybris colour of the layout (${colours.join(', ')})`,
      );
    }
  }
  const { iac, argocd } = readings;
  if (iac.colour !== argocd.colour) {
    throw new DeployPlanConflictError(
      `hybris: IaC and Argo CD disagree on the live colour: IaC says ${iac.colour} (${iac.at}), Argo CD says ${argocd.colour} (${argocd.at}); sync ${h.switch.argocdApp} or revert the switch before planning`,
    );
  }
  const values = readYamlValues(switchText, h.switch.keys, {
    file: h.switch.values,
  });
  const reading = readSwitchColour(h, key => values[key]);
  const where = `${h.switch.values} ${at}`;
  if ('unknown' in reading) {
    const { key, value } = reading.unknown;
    throw new DeployPlanConflictError(
      `hybris: ${key} in ${where} is ${
        value === undefined ? 'missing' : `'${value}'`
      }, not one of the colours ${colours.join(', ')}`,
    );
  }
  if ('mixed' in reading) {
    throw new DeployPlanConflictError(
      `hybris: the switch keys in ${where} name more than one colour (${reading.mixed}): a switch is half done; finish or revert it before planning`,
    );
  }
  if (reading.colour !== iac.colour) {
    throw new DeployPlanConflictError(
      `hybris: ${where} names ${reading.colour} live, but IaC was read as ${iac.colour} (${iac.at}): the branch moved while the plan was read; read it again`,
    );
  }
  return { live: iac.colour!, idle: colours.find(c => c !== iac.colour)! };
}
