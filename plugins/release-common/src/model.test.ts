import { defaultReleaseTitle, isReleaseVersion } from './model';
import { canTransition, releaseStates, releaseTransitions } from './states';

describe('isReleaseVersion', () => {
  it.each([
    ['hybris', 'deploy-2026-01-08', true],
    ['hybris', 'deploy-2026-01-08-2', true],
    ['hybris', 'deploy-2026-02-30', false],
    ['hybris', 'a7ed4db1', false],
    ['hybris', 'v1.4.0', true],
    ['web', 'a7ed4db1', true],
    ['cms', '6e27011f6e27011f6e27011f6e27011f6e27011f', true],
    ['cms', '6E27011F', false],
    ['web', 'latest', false],
    ['web', '../../etc/passwd', false],
    ['web', '', false],
  ] as const)('%s %s → %s', (app, version, ok) => {
    expect(isReleaseVersion(app, version)).toBe(ok);
  });
});

describe('defaultReleaseTitle', () => {
  it('dates the release in Seoul as the team writes it', () => {
    expect(
      defaultReleaseTitle(['hybris', 'cms'], new Date('2026-01-05T16:00:00Z')),
    ).toBe('2026.01.06 hybris, cms');
  });
});

describe('release transitions', () => {
  it('only name known states', () => {
    for (const [from, targets] of Object.entries(releaseTransitions)) {
      expect(releaseStates).toContain(from);
      for (const to of targets) expect(releaseStates).toContain(to);
    }
  });

  it('follow the flow of one release and refuse skipping approval', () => {
    const flow = [
      'draft',
      'prepared',
      'beta',
      'awaiting_approval',
      'approved',
      'deploying',
      'verifying',
      'awaiting_signoff',
      'switching',
      'announced',
      'scaling_down',
      'done',
    ] as const;
    for (let i = 1; i < flow.length; i++) {
      expect([
        flow[i - 1],
        flow[i],
        canTransition(flow[i - 1], flow[i]),
      ]).toEqual([flow[i - 1], flow[i], true]);
    }
    expect(canTransition('awaiting_approval', 'deploying')).toBe(false);
    expect(canTransition('aborted', 'deploying')).toBe(false);
    expect(canTransition('deploying', 'paused')).toBe(true);
    expect(canTransition('paused', 'deploying')).toBe(true);
  });
});
