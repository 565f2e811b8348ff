import type { ReactNode } from 'react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  DeployPlanStep,
  DeployReadings,
  DeployRunStepView,
  DeployRunView,
} from '@internal/plugin-release-common';
import { Box, LinearProgress, Link, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';
import { formatMetric } from '../LiveStatus/Sparkline';
import { personOf } from '../releaseView';
import { StatusText, type StatusKind } from '../StatusText';
import {
  currentStep,
  isActiveRun,
  planStepOf,
  shortFingerprint,
} from './deployModel';
import { KindBadge, StepDiff, StepFacts } from './PlanSteps';

const useStyles = makeStyles(theme => ({
  step: {
    padding: theme.spacing(1, 1.5),
    borderLeft: `4px solid transparent`,
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  current: {
    padding: theme.spacing(1, 1.5),
    borderLeft: `4px solid ${theme.palette.primary.main}`,
    borderBottom: `1px solid ${theme.palette.divider}`,
    background: theme.palette.action.selected,
  },
  line: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  readings: { margin: theme.spacing(0.5, 0), paddingLeft: theme.spacing(2) },
}));

const stepKinds: Record<DeployRunStepView['state'], StatusKind> = {
  pending: 'pending',
  running: 'running',
  waiting: 'running',
  done: 'ok',
  failed: 'error',
  skipped: 'aborted',
};

/** What a waiting step saw at its last look: each check against its bounds, the hold, the timeout. */
export const StepReadings = (props: { readings: DeployReadings }) => {
  const { checks, hold, timeoutLeftMs } = props.readings;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDuration, formatNumber } = useFormatters();
  const classes = useStyles();
  const number = (n: number) => formatMetric(n, formatNumber);
  const bounds = (c: DeployReadings['checks'][number]) => {
    if (c.value === undefined) return undefined;
    const value = number(c.value);
    if (c.min !== undefined && c.max !== undefined) {
      return t('releasePage.deploy.stepRun.readingRange', {
        value,
        min: number(c.min),
        max: number(c.max),
      });
    }
    if (c.max !== undefined) {
      return t('releasePage.deploy.stepRun.readingMax', {
        value,
        max: number(c.max),
      });
    }
    if (c.min !== undefined) {
      return t('releasePage.deploy.stepRun.readingMin', {
        value,
        min: number(c.min),
      });
    }
    return value;
  };
  const holdText =
    hold &&
    t(
      hold.kind === 'soak'
        ? 'releasePage.deploy.stepRun.holdSoak'
        : 'releasePage.deploy.stepRun.holdWatch',
      {
        held: formatDuration(hold.heldMs),
        required: formatDuration(hold.requiredMs),
        left: formatDuration(hold.leftMs),
      },
    );
  return (
    <Box data-testid="deploy-readings">
      <ul className={classes.readings}>
        {checks.map(c => {
          const bound = bounds(c);
          return (
            <Typography
              key={c.name}
              component="li"
              variant="body2"
              data-testid={`deploy-reading-${c.name}`}
              data-ok={String(c.ok)}
            >
              <StatusText kind={c.ok ? 'ok' : 'error'}>{c.name}</StatusText>
              {`: ${c.detail}`}
              {bound ? ` (${bound})` : ''}
            </Typography>
          );
        })}
      </ul>
      {hold && (
        <Box
          data-testid="deploy-hold"
          data-kind={hold.kind}
          data-left-ms={hold.leftMs}
          maxWidth={360}
        >
          <Typography variant="body2">{holdText}</Typography>
          <LinearProgress
            variant="determinate"
            value={
              hold.requiredMs > 0
                ? Math.min(100, (hold.heldMs / hold.requiredMs) * 100)
                : 100
            }
            aria-label={holdText}
          />
        </Box>
      )}
      {timeoutLeftMs !== undefined && (
        <Typography variant="body2" color="textSecondary">
          {t('releasePage.deploy.stepRun.timeoutLeft', {
            duration: formatDuration(timeoutLeftMs),
          })}
        </Typography>
      )}
    </Box>
  );
};

/** One step of a run: its state, why it waits or failed, its readings, commit and links. */
const RunStep = (props: {
  step: DeployRunStepView;
  planStep?: DeployPlanStep;
  current: boolean;
  controls?: ReactNode;
}) => {
  const { step, planStep, current } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDuration } = useFormatters();
  const classes = useStyles();
  const took =
    step.startedAt && step.finishedAt
      ? Date.parse(step.finishedAt) - Date.parse(step.startedAt)
      : undefined;
  const linkKinds = {
    commit: t('releasePage.deploy.link.commit'),
    'merge-request': t('releasePage.deploy.link.mergeRequest'),
    argocd: t('releasePage.deploy.link.argocd'),
    grafana: t('releasePage.deploy.link.grafana'),
  };
  return (
    <Box
      component="li"
      className={current ? classes.current : classes.step}
      data-testid={`deploy-step-${step.stepId}`}
      data-state={step.state}
      data-current={String(current)}
      aria-current={current ? 'step' : undefined}
    >
      <Box className={classes.line}>
        <StatusText kind={stepKinds[step.state]}>
          {t(`releasePage.deploy.stepState.${step.state}`)}
        </StatusText>
        <Typography variant="body2" component="span">
          <strong>{planStep?.title ?? step.stepId}</strong>
        </Typography>
        <KindBadge step={planStep ?? { kind: step.kind }} />
        {took !== undefined && Number.isFinite(took) && (
          <Typography variant="body2" color="textSecondary" component="span">
            {t('releasePage.deploy.stepRun.took', {
              duration: formatDuration(took),
            })}
          </Typography>
        )}
      </Box>
      {current && planStep && <StepFacts step={planStep} />}
      {step.waitingReason && step.state === 'waiting' && (
        <Typography variant="body2" data-testid="deploy-step-waiting">
          {t('releasePage.deploy.stepRun.waiting', {
            reason: step.waitingReason,
          })}
        </Typography>
      )}
      {step.state === 'failed' && (
        <Typography
          variant="body2"
          color="error"
          data-testid="deploy-step-error"
        >
          {t('releasePage.deploy.stepRun.failed', {
            attempts: String(step.attempts),
            error: step.lastError ?? '',
          })}
        </Typography>
      )}
      {step.attempts > 1 && step.state !== 'failed' && (
        <Typography variant="body2" color="textSecondary">
          {t('releasePage.deploy.stepRun.attempts', {
            attempts: String(step.attempts),
          })}
          {step.lastError ? `: ${step.lastError}` : ''}
        </Typography>
      )}
      {step.state === 'skipped' && step.skipReason && (
        <Typography variant="body2">
          {t('releasePage.deploy.stepRun.skipped', { reason: step.skipReason })}
        </Typography>
      )}
      {step.readings &&
        ['running', 'waiting', 'failed'].includes(step.state) && (
          <StepReadings readings={step.readings} />
        )}
      {step.commit && (
        <Typography variant="body2" color="textSecondary">
          {t(
            step.commit.committed
              ? 'releasePage.deploy.stepRun.commit'
              : 'releasePage.deploy.stepRun.commitFound',
            { sha: step.commit.sha.slice(0, 8) },
          )}
        </Typography>
      )}
      {step.links.length > 0 && (
        <Box className={classes.line}>
          {step.links.map(link => (
            <Link
              key={link.url}
              href={link.url}
              target="_blank"
              rel="noopener noreferrer"
              variant="body2"
              data-link-kind={link.kind}
            >
              {`${linkKinds[link.kind]}: ${link.title}`}
            </Link>
          ))}
        </Box>
      )}
      {current && planStep && <StepDiff step={planStep} />}
      {props.controls}
    </Box>
  );
};

/** A run's heading: what it does where, its state, who started it, why it paused. */
export const RunHeading = (props: { run: DeployRunView }) => {
  const { run } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDateTime } = useFormatters();
  const kind = {
    deploy: t('releasePage.deploy.run.kindDeploy'),
    abort: t('releasePage.deploy.run.kindAbort'),
    rollback: t('releasePage.deploy.run.kindRollback'),
  }[run.kind];
  return (
    <Box>
      <Typography variant="subtitle1" component="h3">
        {t('releasePage.deploy.run.heading', {
          kind,
          environment: run.environment,
          state: t(`releasePage.deploy.run.state.${run.state}`),
        })}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {t('releasePage.deploy.run.startedBy', {
          person: personOf(run.startedBy),
          at: formatDateTime(run.createdAt),
          fingerprint: shortFingerprint(run.plan.fingerprint),
        })}
      </Typography>
      {run.pausedReason && ['paused', 'failed'].includes(run.state) && (
        <Typography variant="body2" data-testid="deploy-run-paused">
          {t('releasePage.deploy.run.paused', { reason: run.pausedReason })}
        </Typography>
      )}
    </Box>
  );
};

/**
 * A run's steps in order with their state; an active run's current step is highlighted and gets
 * the controls the caller renders for it.
 */
export const RunSteps = (props: {
  run: DeployRunView;
  /** Controls under a step, e.g. Retry and Skip; only an active run's steps get them. */
  stepControls?: (
    step: DeployRunStepView,
    planStep?: DeployPlanStep,
  ) => ReactNode;
}) => {
  const { run } = props;
  const active = isActiveRun(run);
  const current = active ? currentStep(run) : undefined;
  return (
    <Box
      data-testid="deploy-run"
      data-run-id={run.id}
      data-run-kind={run.kind}
      data-state={run.state}
    >
      <RunHeading run={run} />
      <Box component="ol" p={0} m={0} mt={1} style={{ listStyle: 'none' }}>
        {run.steps.map(step => {
          const planStep = planStepOf(run, step);
          return (
            <RunStep
              key={step.stepId}
              step={step}
              planStep={planStep}
              current={step === current}
              controls={
                active ? props.stepControls?.(step, planStep) : undefined
              }
            />
          );
        })}
      </Box>
    </Box>
  );
};
