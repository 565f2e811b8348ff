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
      },
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
  ])('refuses %s, naming the key', (_name, release, message) => {
    expect(() => read(release)).toThrow(message);
  });
});
