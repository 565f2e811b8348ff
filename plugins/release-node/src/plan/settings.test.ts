import { ConfigReader } from '@backstage/config';
import { defaultDeployPlanSettings, readDeployPlanSettings } from './settings';

const read = (release?: object) =>
  readDeployPlanSettings(new ConfigReader(release ? { release } : {}));

describe('readDeployPlanSettings', () => {
  it('gives the team’s defaults when nothing is set', () => {
    expect(read()).toEqual(defaultDeployPlanSettings);
    expect(read()).toEqual({
      order: ['hybris', 'cms', 'web'],
      hybris: {
        maxReplicas: 30,
        switchWatchMs: 300_000,
        switchWatchMetrics: ['error-rate'],
      },
      expectedMs: {
        sync: 60_000,
        call: 10_000,
        pipeline: 900_000,
        hybrisPodStart: 300_000,
        build: 1_200_000,
        tests: 600_000,
      },
    });
  });

  it('reads the order, the estimates and hybris’s maximum and switch watch', () => {
    expect(
      read({
        plan: {
          order: ['web', 'hybris', 'cms'],
          expectedTimes: {
            sync: '45s',
            call: 2000,
            pipeline: '20m',
            hybrisPodStart: '90s',
            build: '30m',
            tests: '5m',
          },
        },
        apps: {
          hybris: {
            maxReplicas: 18,
            switch: {
              watch: '10m',
              watchMetrics: ['error-rate', 'jgroups-view-steady'],
            },
          },
        },
      }),
    ).toEqual({
      order: ['web', 'hybris', 'cms'],
      hybris: {
        maxReplicas: 18,
        switchWatchMs: 600_000,
        switchWatchMetrics: ['error-rate', 'jgroups-view-steady'],
      },
      expectedMs: {
        sync: 45_000,
        call: 2000,
        pipeline: 1_200_000,
        hybrisPodStart: 90_000,
        build: 1_800_000,
        tests: 300_000,
      },
    });
  });

  it('reads the stages around the deploy: the build, beta with its payment tests, the post-deploy tests', () => {
    expect(
      read({
        plan: { build: true },
        beta: {
          paymentTests: {
            jenkinsJob: 'kop/payment-tests',
            brands: ['ks', 'tc', 'g4'],
          },
        },
        postDeployTests: {
          tests: [
            { name: 'smoke', jenkinsJob: 'kop/post-deploy-tests' },
            { name: 'storefront', url: 'https://kop.example/health' },
            { name: 'gone', url: 'https://kop.example/old', expectStatus: 404 },
          ],
        },
      }).stages,
    ).toEqual({
      build: true,
      beta: {
        environment: 'beta',
        paymentTests: {
          jenkinsJob: 'kop/payment-tests',
          brands: ['ks', 'tc', 'g4'],
        },
      },
      postDeployTests: {
        environments: ['prod'],
        tests: [
          { kind: 'jenkins', name: 'smoke', job: 'kop/post-deploy-tests' },
          {
            kind: 'http',
            name: 'storefront',
            url: 'https://kop.example/health',
            expectStatus: 200,
          },
          {
            kind: 'http',
            name: 'gone',
            url: 'https://kop.example/old',
            expectStatus: 404,
          },
        ],
      },
    });
    expect(read({ beta: {} }).stages).toEqual({
      build: false,
      beta: { environment: 'beta' },
    });
  });

  it.each<[string, object, string]>([
    [
      'an order missing an app',
      { plan: { order: ['hybris', 'web'] } },
      'release.plan.order must name each of hybris, cms, web once, got hybris, web',
    ],
    [
      'an order naming an app twice',
      { plan: { order: ['hybris', 'web', 'web'] } },
      'release.plan.order must name each of hybris, cms, web once, got hybris, web, web',
    ],
    [
      'a maximum that is not a count',
      { apps: { hybris: { maxReplicas: 2.5 } } },
      'release.apps.hybris.maxReplicas must be a whole number from 1 to 60, got 2.5',
    ],
    [
      'a maximum the IaC planner would refuse',
      { apps: { hybris: { maxReplicas: 90 } } },
      'release.apps.hybris.maxReplicas must be a whole number from 1 to 60, got 90',
    ],
    [
      'a watch that is not a duration',
      { apps: { hybris: { switch: { watch: 'soon' } } } },
      "release.apps.hybris.switch.watch must be a duration like 30s or 2m, got 'soon'",
    ],
    [
      'an estimate that is not a duration',
      { plan: { expectedTimes: { pipeline: true } } },
      'release.plan.expectedTimes.pipeline must be a duration like 30s or 2m',
    ],
    [
      'a brand that is not a brand code',
      { beta: { paymentTests: { brands: ['ks', 'K S'] } } },
      "release.beta.paymentTests.brands[1] must be a brand code like ks, got 'K S'",
    ],
    [
      'a post-deploy test with neither a job nor a URL',
      { postDeployTests: { tests: [{ name: 'smoke' }] } },
      'release.postDeployTests.tests[0] must set one of jenkinsJob or url',
    ],
    [
      'a post-deploy check of something not http',
      {
        postDeployTests: {
          tests: [{ name: 'smoke', url: 'file:///etc/passwd' }],
        },
      },
      "release.postDeployTests.tests[0].url must be an http(s) URL, got 'file:///etc/passwd'",
    ],
    [
      'a post-deploy check expecting no HTTP status',
      {
        postDeployTests: {
          tests: [
            { name: 'smoke', url: 'https://kop.example/', expectStatus: 42 },
          ],
        },
      },
      'release.postDeployTests.tests[0].expectStatus must be an HTTP status, got 42',
    ],
    [
      'post-deploy tests without a test',
      { postDeployTests: { tests: [] } },
      'release.postDeployTests.tests must name at least one test',
    ],
  ])('refuses %s, naming the key', (_name, release, message) => {
    expect(() => read(release)).toThrow(message);
  });
});
