import { ConfigReader } from '@backstage/config';
import { defaultGradePolicy } from '@internal/plugin-release-common';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { readReleasePortalConfig } from './config';
import { readGradePolicy } from './policyConfig';

const read = (release: object) =>
  readGradePolicy(new ConfigReader({ release }));

describe('readGradePolicy', () => {
  it('is the seed table when nothing is configured', () => {
    expect(readGradePolicy(new ConfigReader({}))).toEqual(defaultGradePolicy);
  });

  it('takes configured grades, steps of the window and holidays over the defaults', () => {
    const policy = read({
      grades: { C: { approve: ['service-team-lead', 'infra-superior'] } },
      windows: [
        { days: ['mon', 'fri'], from: '09:00', to: '12:00', tz: 'UTC' },
      ],
      holidays: ['2026-12-25'],
    });
    expect(policy.grades.C.approve).toEqual([
      'service-team-lead',
      'infra-superior',
    ]);
    expect(policy.grades.C.label).toBe('중간');
    expect(policy.windows).toEqual([
      { days: ['mon', 'fri'], from: '09:00', to: '12:00', tz: 'UTC' },
    ]);
    expect(policy.holidays).toEqual(['2026-12-25']);
  });

  it.each([
    [
      { grades: { F: { approve: ['pl'] } } },
      "release.grades.F must be one of A–E, got 'F'",
    ],
    [
      { grades: { B: { approve: ['cto'] } } },
      "release.grades.B.approve names an undefined role 'cto'",
    ],
    [
      { grades: { C: { approve: [] } } },
      'release.grades.C must name approvers in approve or approveAfter',
    ],
    [
      { signoff: { approve: ['nobody'] } },
      "release.signoff.approve names an undefined role 'nobody'",
    ],
    [
      { gradeFloors: [{ when: 'dbChange', min: 'Z' }] },
      "release.gradeFloors[0].min must be one of A–E, got 'Z'",
    ],
    [
      { windows: [{ days: ['funday'], from: '10:00', to: '17:00' }] },
      "release.windows[0].days has an unknown day 'funday'",
    ],
    [
      { windows: [{ days: ['mon'], from: '25:00', to: '17:00' }] },
      "release.windows[0].from must be HH:MM, got '25:00'",
    ],
    [
      { windows: [{ days: ['mon'], from: '17:00', to: '10:00' }] },
      'release.windows[0] must end after it starts',
    ],
    [
      {
        windows: [
          { days: ['mon'], from: '10:00', to: '17:00', tz: 'Mars/Olympus' },
        ],
      },
      "release.windows[0].tz is not a time zone: 'Mars/Olympus'",
    ],
    [
      { holidays: ['25/12/2026'] },
      "release.holidays must hold YYYY-MM-DD dates, got '25/12/2026'",
    ],
    [
      { roles: { pl: { group: 'role-pl' } } },
      "release.roles.pl.group must be a group entity ref, got 'role-pl'",
    ],
  ])('refuses %j naming the key', (release, message) => {
    expect(() => read(release)).toThrow(message);
  });
});

describe('app-config.yaml', () => {
  it('writes out exactly the seed grade table', () => {
    const file = resolve(__dirname, '../../../app-config.yaml');
    const data = parse(readFileSync(file, 'utf8'));
    expect(readGradePolicy(new ConfigReader(data))).toEqual(defaultGradePolicy);
    expect(readReleasePortalConfig(new ConfigReader(data))).toMatchObject({
      product: 'kop',
      defaultSteps: [3, 6, 9],
    });
  });
});
