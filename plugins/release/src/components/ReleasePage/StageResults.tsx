import { useState } from 'react';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  testStanding,
  type Release,
  type ReleaseTestKind,
} from '@internal/plugin-release-common';
import { Box, Button, Chip, Typography } from '@material-ui/core';
import { releaseApiRef } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReasonDialog } from '../DeployCard/ReasonDialog';
import { useFormatters } from '../formatters';
import { personOf } from '../releaseView';

/** A build's or a test's result: primary when it went well, secondary when not. */
const ResultChip = (props: { ok: boolean; good: string; bad: string }) => (
  <Chip
    size="small"
    color={props.ok ? 'primary' : 'secondary'}
    label={props.ok ? props.good : props.bad}
  />
);

/** Each app's build as the plan's first steps found or ran it: number, image tag, links. */
export const BuildResults = (props: { release: Release }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const builds = props.release.builds ?? [];
  if (!builds.length) return null;
  return (
    <Box mt={2} data-testid="kop-release-builds">
      <Typography variant="subtitle2">
        {t('releasePage.stages.builds')}
      </Typography>
      {builds.map(b => (
        <Box
          key={`${b.app}-${b.version}`}
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 8 }}
        >
          <Typography variant="body2">
            <Link to={b.url}>
              {t('releasePage.stages.build', {
                app: b.app,
                version: b.version,
                job: b.job,
                number: String(b.buildNumber),
              })}
            </Link>
            {b.imageTag
              ? ` · ${t('releasePage.stages.imageTag', { tag: b.imageTag })}`
              : ''}
          </Typography>
          <ResultChip
            ok={b.result === 'success'}
            good={t('releasePage.stages.buildSucceeded')}
            bad={t('releasePage.stages.buildFailed')}
          />
          {b.consoleUrl && b.result !== 'success' && (
            <Link to={b.consoleUrl}>{t('releasePage.stages.console')}</Link>
          )}
        </Box>
      ))}
    </Box>
  );
};

/**
 * The newest run of one kind of test (payment on beta, post-deploy in production): each test with
 * its result, time and link, whether they all passed, the override that let the release go on,
 * and, for who may give it, the button to go on despite failures with a reason.
 */
export const TestResults = (props: {
  release: Release;
  kind: ReleaseTestKind;
  /** Whether this person may override failures now (the backend checks again). */
  canOverride: boolean;
  onChanged: (release: Release) => void;
}) => {
  const { release, kind } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const api = useApi(releaseApiRef);
  const { formatDuration } = useFormatters();
  const [open, setOpen] = useState(false);
  const standing = testStanding(release, kind);
  const testId = `kop-tests-${kind}`;
  if (standing.state === 'none') {
    return (
      <Box mt={1} data-testid={testId}>
        <Typography variant="body2" color="textSecondary">
          {kind === 'payment'
            ? t('releasePage.stages.paymentNone')
            : t('releasePage.stages.postDeployNone')}
        </Typography>
      </Box>
    );
  }
  const { run } = standing;
  return (
    <Box mt={1} data-testid={testId} data-standing={standing.state}>
      <Typography variant="subtitle2">
        {kind === 'payment'
          ? t('releasePage.stages.payment', { environment: run.environment })
          : t('releasePage.stages.postDeploy', {
              environment: run.environment,
            })}
      </Typography>
      {run.results.map(r => (
        <Box key={r.name} display="flex" alignItems="center" style={{ gap: 8 }}>
          <Typography variant="body2" style={{ flex: 1 }}>
            {r.url ? <Link to={r.url}>{r.name}</Link> : r.name}
            {` · ${t('releasePage.stages.took', {
              duration: formatDuration(r.durationMs),
            })}`}
            {r.detail ? ` · ${r.detail}` : ''}
          </Typography>
          <ResultChip
            ok={r.result === 'passed'}
            good={t('releasePage.stages.passed')}
            bad={t('releasePage.stages.failed')}
          />
        </Box>
      ))}
      <Typography variant="body2">
        {standing.state === 'passed'
          ? t('releasePage.stages.allPassed')
          : t('releasePage.stages.someFailed', {
              names: standing.failed.map(f => f.name).join(', '),
            })}
      </Typography>
      {standing.state === 'overridden' && (
        <Typography variant="body2" data-testid={`${testId}-override`}>
          {t('releasePage.stages.overridden', {
            person: personOf(standing.override.by),
            reason: standing.override.reason,
          })}
        </Typography>
      )}
      {standing.state === 'failed' && (
        <Box mt={1}>
          <Typography variant="caption" color="textSecondary" component="p">
            {kind === 'payment'
              ? t('releasePage.stages.overridePaymentHelp')
              : t('releasePage.stages.overridePostDeployHelp')}
          </Typography>
          <Button
            variant="outlined"
            disabled={!props.canOverride}
            onClick={() => setOpen(true)}
            data-testid={`${testId}-override-button`}
          >
            {t('releasePage.stages.override')}
          </Button>
        </Box>
      )}
      <ReasonDialog
        open={open}
        testId={`${testId}-override-dialog`}
        title={t('releasePage.stages.overrideTitle')}
        text={t('releasePage.stages.overrideText')}
        label={t('releasePage.stages.reason')}
        confirm={t('releasePage.stages.overrideConfirm')}
        onCancel={() => setOpen(false)}
        onSubmit={async reason => {
          const updated = await api.overrideTests(release.id, {
            kind,
            reason,
          });
          setOpen(false);
          props.onChanged(updated);
        }}
      />
    </Box>
  );
};
