import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ReleaseIntegrations,
  readGradePolicy,
  readReleaseLayout,
} from '@internal/plugin-release-node';
import { rmSync } from 'node:fs';
import {
  asanaSandboxDefaults,
  defaultSandboxServices,
  jenkinsSandboxDefaults,
  sandboxGitlabTokens,
  slackSandboxDefaults,
  startSandbox,
  type SandboxOptions,
} from 'sandbox';

/** The portal's config pointed at a sandbox, as app-config.local.yaml does at the local one. */
export function sandboxConfig(url: string, release: object = {}) {
  return {
    integrations: {
      gitlab: [
        {
          host: new URL(url).host,
          apiBaseUrl: `${url}/gitlab/api/v4`,
          token: sandboxGitlabTokens.maintainer,
        },
      ],
    },
    argocd: {
      pollIntervalMs: 25,
      instances: ['beta', 'prod'].map(name => ({
        name,
        url: `${url}/argocd/${name}`,
        token: 'argocd-sandbox-token',
      })),
    },
    jenkins: {
      baseUrl: `${url}/jenkins`,
      username: jenkinsSandboxDefaults.username,
      apiToken: jenkinsSandboxDefaults.apiToken,
      buildToken: jenkinsSandboxDefaults.buildToken,
    },
    asana: {
      baseUrl: `${url}/asana/api/1.0`,
      token: asanaSandboxDefaults.token,
      projectGid: asanaSandboxDefaults.projectGid,
      sectionGid: asanaSandboxDefaults.sectionGid,
      fields: asanaSandboxDefaults.fields,
    },
    slack: {
      apiUrl: `${url}/slack/api/`,
      botToken: slackSandboxDefaults.botToken,
    },
    release: {
      product: 'kop',
      notify: {
        slack: {
          qa: '#kop-qa',
          team: '#kop-release',
          'core-service-pls': '#kop-release-core',
          'service-owners': '#kop-incident',
        },
      },
      ...release,
    },
  };
}

/** A sandbox with every stand-in (or those given), and the portal's clients pointed at it. */
export async function startKopSandbox(
  options: {
    timeScale?: number;
    services?: SandboxOptions['services'];
    release?: object;
  } = {},
) {
  const sandbox = await startSandbox({
    timeScale: options.timeScale ?? 0.01,
    services: options.services ?? defaultSandboxServices(),
  });
  const config = new ConfigReader(sandboxConfig(sandbox.url, options.release));
  const integrations = new ReleaseIntegrations(
    config,
    mockServices.rootLogger(),
  );
  return {
    sandbox,
    url: sandbox.url,
    config,
    integrations,
    layout: readReleaseLayout(config),
    policy: readGradePolicy(config),
    async stop() {
      await sandbox.close();
      rmSync(sandbox.context.dataDir, { recursive: true, force: true });
    },
  };
}
