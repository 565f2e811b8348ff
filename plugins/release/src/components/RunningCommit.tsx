import { Link } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Typography } from '@material-ui/core';
import type { WhatShips } from '../api';
import { releaseTranslationRef } from '../translation';

/**
 * Which commit the version that runs is, linked to GitLab, when the version is not itself that
 * commit's ref: a hybris image tag its build's commit, or (no build says) its deploy branch's head.
 */
export const RunningCommit = (props: { deployed: WhatShips['deployed'] }) => {
  const { version, sha, commit } = props.deployed;
  const { t } = useTranslationRef(releaseTranslationRef);
  if (commit.from === 'ref') return null;
  const text =
    commit.from === 'build'
      ? t('releasePage.ships.runningBuild', {
          version,
          job: commit.build?.job ?? '',
          number: String(commit.build?.number ?? ''),
        })
      : t('releasePage.ships.runningBranch', {
          version,
          branch: commit.ref ?? '',
        });
  return (
    <Typography
      variant="body2"
      color={commit.from === 'branch' ? 'error' : 'textSecondary'}
      data-testid="kop-running-commit"
    >
      {text} <Link to={commit.url}>{sha.slice(0, 8)}</Link>
    </Typography>
  );
};
