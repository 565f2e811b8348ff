import { seedDate, seedFacts } from '../gitlab/seed';

/** One build the team's Jenkins ran before the sandbox starts. */
export interface SeededJenkinsBuild {
  job: string;
  parameters: Record<string, string>;
  /** When it started (Korean time), as `seedDate` writes it. */
  startedAt: string;
  durationMs: number;
}

/** When each seeded deploy branch was built: on the day it is named for, after it was cut. */
const hybrisBuiltAt: Record<string, string> = {
  'deploy-2025-12-09': seedDate(-30, 10),
  'deploy-2025-12-23': seedDate(-16, 15),
  'deploy-2026-01-06': seedDate(-2, 10),
  'deploy-2026-01-08': seedDate(0, 8, 30),
};

/**
 * The builds the Jenkins stand-in starts with, oldest first: one successful `kop/hybris-build` of
 * each hybris deploy branch the GitLab seed has (`seedFacts.hybris.deployBranches`), so each can be
 * released, as in the team's Jenkins.
 */
export const seededJenkinsBuilds: SeededJenkinsBuild[] =
  seedFacts.hybris.deployBranches.map(branch => ({
    job: 'kop/hybris-build',
    parameters: { BRANCH: branch },
    startedAt: hybrisBuiltAt[branch],
    durationMs: 18 * 60_000,
  }));
