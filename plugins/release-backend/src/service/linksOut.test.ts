import { ConfigReader } from '@backstage/config';
import {
  ArgoCdClients,
  GitlabClient,
  readReleaseLayout,
} from '@internal/plugin-release-node';
import {
  readReleaseDashboards,
  releaseLinksOut,
  type LinksOutContext,
} from './linksOut';

const config = new ConfigReader({
  integrations: {
    gitlab: [
      {
        host: 'gitlab.kop.example',
        apiBaseUrl: 'https://gitlab.kop.example/api/v4',
        token: 'glpat-secret',
      },
    ],
  },
  argocd: {
    instances: [
      {
        name: 'beta',
        url: 'https://argocd-beta.kop.example/',
        token: 'argocd-secret',
      },
      {
        name: 'prod',
        url: 'https://argocd-api.kop.example',
        webUrl: 'https://argocd.kop.example/',
        token: 'argocd-secret',
      },
    ],
  },
  release: {
    links: {
      dashboards: [
        {
          title: 'hybris JGroups and errors',
          url: 'https://grafana.kop.example/d/kop-hybris?var-env={environment}',
        },
      ],
    },
  },
});

function contextOf(overrides: Partial<LinksOutContext> = {}): LinksOutContext {
  const argocd = ArgoCdClients.fromConfig(config);
  return {
    layout: readReleaseLayout(config),
    environments: ['beta', 'prod'],
    dashboards: readReleaseDashboards(config),
    argocdFor: environment => argocd.forEnvironment(environment),
    gitlab: () => GitlabClient.fromConfig(config),
    ...overrides,
  };
}

describe('releaseLinksOut', () => {
  it('links every Argo CD app of the release per environment, its versions and the IaC branch in GitLab, and the dashboards', () => {
    const out = releaseLinksOut(
      {
        apps: [
          { app: 'hybris', version: 'deploy-2026-11-26' },
          { app: 'web', version: '7f3c2a1' },
        ],
      },
      contextOf(),
    );
    expect(out.problems).toBeUndefined();
    expect(out.links.filter(l => l.environment === undefined)).toEqual([
      {
        system: 'gitlab',
        title: 'kop/hybris @ deploy-2026-11-26',
        url: 'https://gitlab.kop.example/kop/hybris/-/tree/deploy-2026-11-26',
      },
      {
        system: 'gitlab',
        title: 'kop/web @ 7f3c2a1',
        url: 'https://gitlab.kop.example/kop/web/-/tree/7f3c2a1',
      },
    ]);
    const prod = out.links.filter(l => l.environment === 'prod');
    expect(prod.map(l => `${l.system} ${l.title} ${l.url}`)).toEqual([
      'argocd hybris-blue (prod) https://argocd.kop.example/applications/hybris-blue',
      'argocd hybris-green (prod) https://argocd.kop.example/applications/hybris-green',
      'argocd hybris (prod) https://argocd.kop.example/applications/hybris',
      'argocd web (prod) https://argocd.kop.example/applications/web',
      'gitlab kop/kop-deploy-prod @ main https://gitlab.kop.example/kop/kop-deploy-prod/-/commits/main',
      'grafana hybris JGroups and errors https://grafana.kop.example/d/kop-hybris?var-env=prod',
    ]);
    // Without webUrl the UI is where the API is.
    expect(
      out.links.find(l => l.environment === 'beta' && l.system === 'argocd')
        ?.url,
    ).toBe('https://argocd-beta.kop.example/applications/hybris-blue');
    expect(JSON.stringify(out)).not.toMatch(/secret/);
  });

  it('names a system that is not set up and still gives the other links', () => {
    const out = releaseLinksOut(
      { apps: [{ app: 'cms', version: 'a1b2c3d' }] },
      contextOf({
        dashboards: [],
        gitlab: () => {
          throw new Error('integrations.gitlab has no entry');
        },
      }),
    );
    expect(out.problems).toEqual([
      'GitLab: integrations.gitlab has no entry',
      'Grafana: no dashboards are configured; add them under release.links.dashboards',
    ]);
    expect(out.links.map(l => l.title)).toEqual([
      'cms (beta)',
      'cms-internal (beta)',
      'cms (prod)',
      'cms-internal (prod)',
    ]);
  });

  it('refuses a dashboard without a title, with a URL that is not http(s), or with an unknown placeholder, naming the field', () => {
    const read = (dashboards: Array<Record<string, string>>) => () =>
      readReleaseDashboards(
        new ConfigReader({ release: { links: { dashboards } } }),
      );
    expect(read([{ title: ' ', url: 'https://g.example' }])).toThrow(
      'release.links.dashboards[0].title must not be empty',
    );
    expect(
      read([
        { title: 'ok', url: 'https://g.example' },
        { title: 'x', url: 'grafana.example/d/1' },
      ]),
    ).toThrow(
      "release.links.dashboards[1].url must be an http(s) URL, got 'grafana.example/d/1'",
    );
    expect(
      read([{ title: 'x', url: 'https://g.example/d/1?var-c={colour}' }]),
    ).toThrow(
      'release.links.dashboards[0].url has the placeholder {colour}; only {environment} is filled in',
    );
    expect(readReleaseDashboards(new ConfigReader({}))).toEqual([]);
  });
});
