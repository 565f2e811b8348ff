import { GitlabClient } from '@internal/plugin-release-node';
import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  seedFacts,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { rmSync } from 'node:fs';

/** The systems' config sections pointed at a running sandbox, as app-config.local.yaml does. */
export function sandboxSystemsConfig(sandbox: RunningSandbox) {
  return {
    integrations: {
      gitlab: [
        {
          host: new URL(sandbox.url).host,
          apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
          token: sandboxGitlabTokens.maintainer,
        },
      ],
    },
    argocd: {
      instances: ['beta', 'prod'].map(name => ({
        name,
        url: `${sandbox.url}/argocd/${name}`,
        token: 'argocd-sandbox-token',
      })),
    },
    jenkins: {
      baseUrl: `${sandbox.url}/jenkins`,
      username: 'kop-bot',
      apiToken: 'jenkins-sandbox-token',
      buildToken: 'kop-build-token',
    },
  };
}

/** The systems the deploy engine acts on and reads its gates from, all in the sandbox. */
export function sandboxEngineConfig(sandbox: RunningSandbox) {
  const pods = (environment: string) => ({
    blue: `${sandbox.url}/hybris/${environment}/blue`,
    green: `${sandbox.url}/hybris/${environment}/green`,
  });
  return {
    ...sandboxSystemsConfig(sandbox),
    prometheus: { baseUrl: `${sandbox.url}/prometheus` },
    hybris: { clusterStatus: { beta: pods('beta'), prod: pods('prod') } },
  };
}

/** The steps of a hybris, cms and web release to prod, planned against the sandbox's seeded IaC. */
export const sandboxProdSteps = [
  'hybris.image',
  'hybris.scale-up.3',
  'hybris.scale-up.6',
  'hybris.scale-up.9',
  'cms.branch',
  'cms.merge-request',
  'cms.merge',
  'cms.version',
  'web.version',
  'signoff',
  'hybris.switch',
  'announce',
  'hybris.scale-down.6',
  'hybris.scale-down.3',
  'hybris.scale-down.0',
];

/** The sandbox's GitLab, and versions a release can name: cms's newest commit, web's two newest. */
export async function sandboxVersions(sandbox: RunningSandbox) {
  const gitlab = new GitlabClient({
    apiBaseUrl: `${sandbox.url}/gitlab/api/v4`,
    token: sandboxGitlabTokens.maintainer,
  });
  const [cms] = await gitlab.listCommits(seedFacts.cms.project, {
    ref: seedFacts.cms.from,
    limit: 1,
  });
  const [web, olderWeb] = await gitlab.listCommits(seedFacts.web.project, {
    ref: seedFacts.web.branch,
    limit: 2,
  });
  return {
    gitlab,
    cms: cms.sha,
    web: web.shortSha,
    olderWeb: olderWeb.shortSha,
  };
}

/** Every stand-in, with pods that start at once, in a temp folder removed by `close()`. */
export async function startTestSandbox(): Promise<
  RunningSandbox & { dispose(): Promise<void> }
> {
  const sandbox = await startSandbox({
    timeScale: 0,
    services: defaultSandboxServices(),
  });
  return Object.assign(sandbox, {
    dispose: async () => {
      await sandbox.close();
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    },
  });
}

/** The kop hybris gates with windows of seconds, so sandbox pods that start at once settle in a few. */
export const sandboxQuickGates = {
  soak: '1s',
  metrics: [
    {
      name: 'jgroups-view-steady',
      query:
        'max_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[3s]) - min_over_time(hybris_jgroups_view_size{environment="$environment",colour="$colour"}[3s])',
      max: 0,
    },
    {
      name: 'error-rate',
      query:
        'sum(rate(hybris_errors_total{environment="$environment",colour="$colour"}[3s]))',
      max: 0.5,
    },
  ],
};
