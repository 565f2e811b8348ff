import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  DeployOtherCommit,
  DeployPlanChange,
  DeployRebase,
} from '@internal/plugin-release-common';
import { Box, Link, Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { Notice } from '../Notice';
import { PlanSteps } from './PlanSteps';

/** Someone else's commit: its short sha, author and title, linked to GitLab when known. */
const OtherCommit = (props: { commit: DeployOtherCommit }) => {
  const { commit } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const text = t('releasePage.deploy.rebase.commit', {
    sha: commit.sha.slice(0, 8),
    author: commit.author,
    title: commit.title,
  });
  return (
    <Typography variant="body2" data-testid="deploy-rebase-commit">
      {commit.webUrl ? (
        <Link href={commit.webUrl} target="_blank" rel="noopener">
          {text}
        </Link>
      ) : (
        text
      )}
    </Typography>
  );
};

/**
 * A run stopped because someone else's commit changed what it would write: what changed and in
 * which commits, then either the new plan's steps left with their diffs, or why the steps left
 * cannot run on top of the change.
 */
export const RebasedPlan = (props: {
  rebase: DeployRebase;
  approvedFingerprint?: string;
}) => {
  const { rebase, approvedFingerprint } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const valueOf = (value: DeployPlanChange['planned']) =>
    value === undefined
      ? t('releasePage.deploy.rebase.missing')
      : String(value);
  const left = rebase.plan?.steps.slice(rebase.fromStep) ?? [];
  return (
    <Box data-testid="deploy-rebase">
      <Notice
        role="alert"
        severity={rebase.plan ? 'warning' : 'error'}
        testId="deploy-rebase-notice"
        title={t('releasePage.deploy.rebase.title')}
      >
        <Typography variant="body2">
          {rebase.plan
            ? t('releasePage.deploy.rebase.stopped')
            : t('releasePage.deploy.rebase.refused', {
                reason: rebase.refusal ?? '',
              })}
        </Typography>
        {rebase.changes.length + rebase.commits.length > 0 && (
          <Box component="section" mt={1} data-testid="deploy-rebase-changes">
            <Typography variant="subtitle2" component="h4">
              {t('releasePage.deploy.rebase.changes')}
            </Typography>
            <Box component="ul" pl={3} my={0.5}>
              {rebase.changes.map(change => (
                <li key={`${change.file}:${change.key ?? ''}`}>
                  <Typography
                    variant="body2"
                    data-testid="deploy-rebase-change"
                  >
                    {change.key
                      ? t('releasePage.deploy.rebase.changedKey', {
                          file: change.file,
                          key: change.key,
                          planned: valueOf(change.planned),
                          now: valueOf(change.now),
                        })
                      : t('releasePage.deploy.rebase.changedLines', {
                          file: change.file,
                        })}
                  </Typography>
                </li>
              ))}
              {rebase.commits.map(commit => (
                <li key={commit.sha}>
                  <OtherCommit commit={commit} />
                </li>
              ))}
            </Box>
          </Box>
        )}
        {rebase.plan && (
          <Typography variant="body2" color="textSecondary">
            {t('releasePage.deploy.rebase.next')}
          </Typography>
        )}
      </Notice>
      {rebase.plan && (
        <Box mt={1}>
          <Typography variant="subtitle2">
            {t('releasePage.deploy.rebase.heading')}
          </Typography>
          <PlanSteps
            plan={{
              ...rebase.plan,
              steps: left,
              expectedMs: left.reduce((sum, s) => sum + (s.expectedMs ?? 0), 0),
            }}
            approvedFingerprint={approvedFingerprint}
          />
        </Box>
      )}
    </Box>
  );
};
