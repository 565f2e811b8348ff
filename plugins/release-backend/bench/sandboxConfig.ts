import { sandboxGitlabTokens } from 'sandbox';

/** The systems' config, pointed at the sandbox as app-config.local.yaml points at it locally. */
export function sandboxSystemsConfig(url: string) {
  const colours = (env: string) => ({
    blue: `${url}/hybris/${env}/blue`,
    green: `${url}/hybris/${env}/green`,
  });
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
      instances: ['beta', 'prod'].map(name => ({
        name,
        url: `${url}/argocd/${name}`,
        token: 'argocd-sandbox-token',
      })),
    },
    hybris: { clusterStatus: { beta: colours('beta'), prod: colours('prod') } },
    prometheus: { baseUrl: `${url}/prometheus` },
  };
}
