import {
  defaultSandboxServices,
  sandboxGitlabTokens,
  startSandbox,
  type RunningSandbox,
} from 'sandbox';
import { rmSync } from 'node:fs';

/** The systems' config sections pointing at a running sandbox, as app-config.yaml does locally. */
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
