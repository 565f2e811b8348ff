import { useState } from 'react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  DeployPlan,
  DeployPlanStep,
  DeployStepKind,
} from '@internal/plugin-release-common';
import { Box, Button, Chip, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import CallSplitIcon from '@material-ui/icons/CallSplit';
import FlashOnIcon from '@material-ui/icons/FlashOn';
import PanToolIcon from '@material-ui/icons/PanTool';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';
import { Notice } from '../Notice';
import { shortFingerprint } from './deployModel';
import { useDeployWords } from './useDeployWords';

const useStyles = makeStyles(theme => ({
  diff: {
    fontFamily: 'monospace',
    fontSize: '0.8rem',
    whiteSpace: 'pre',
    overflowX: 'auto',
    margin: theme.spacing(1, 0, 0),
    padding: theme.spacing(1),
    background: theme.palette.background.default,
  },
  // Outlined for a revertable commit, filled for a call nothing undoes: apart at a glance.
  git: {
    borderColor: theme.palette.primary.main,
    color: theme.palette.primary.main,
  },
  call: {
    background: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  wait: {},
}));

const kindIcons: Record<DeployStepKind, JSX.Element> = {
  git: <CallSplitIcon />,
  call: <FlashOnIcon />,
  wait: <PanToolIcon />,
};

/** A step's kind as a badge that keeps IaC commits (undone by revert) apart from direct calls. */
export const KindBadge = (props: {
  step: Pick<DeployPlanStep, 'kind' | 'call'>;
}) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const classes = useStyles();
  const { kind } = props.step;
  const hint = {
    git: t('releasePage.deploy.kind.gitHint'),
    call: t('releasePage.deploy.kind.callHint', {
      system: props.step.call?.system ?? '',
    }),
    wait: t('releasePage.deploy.kind.waitHint'),
  }[kind];
  return (
    <Chip
      size="small"
      variant={kind === 'git' ? 'outlined' : 'default'}
      className={classes[kind]}
      icon={kindIcons[kind]}
      label={t(`releasePage.deploy.kind.${kind}`)}
      title={hint}
      data-testid="deploy-kind"
      data-kind={kind}
    />
  );
};

/** What a step does beyond its title: the colour, the call, the apps synced, the gate, the time. */
export const StepFacts = (props: { step: DeployPlanStep }) => {
  const { step } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDuration } = useFormatters();
  const words = useDeployWords();
  const facts = [
    step.hybris && words.colour(step.hybris),
    step.call &&
      t('releasePage.deploy.step.call', {
        system: step.call.system,
        operation: step.call.operation,
        target: Object.entries(step.call.target)
          .map(([key, value]) => `${key} ${value}`)
          .join(', '),
      }),
    step.sync.length > 0 &&
      t('releasePage.deploy.step.sync', { apps: step.sync.join(', ') }),
    step.gate.type !== 'none' &&
      t('releasePage.deploy.step.gate', { gate: words.gate(step.gate) }),
    step.expectedMs !== undefined &&
      t('releasePage.deploy.step.expected', {
        duration: formatDuration(step.expectedMs),
      }),
  ].filter((f): f is string => typeof f === 'string');
  return (
    <>
      {facts.map(f => (
        <Typography key={f} variant="body2" color="textSecondary">
          {f}
        </Typography>
      ))}
    </>
  );
};

/** A git step's unified diff behind a toggle, in monospace. */
export const StepDiff = (props: { step: DeployPlanStep }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const classes = useStyles();
  const [open, setOpen] = useState(false);
  if (!props.step.git) return null;
  const diffId = `deploy-diff-${props.step.id}`;
  return (
    <Box mt={0.5}>
      <Button
        size="small"
        variant="text"
        aria-expanded={open}
        aria-controls={diffId}
        onClick={() => setOpen(o => !o)}
      >
        {open
          ? t('releasePage.deploy.step.hideDiff')
          : t('releasePage.deploy.step.showDiff')}
      </Button>
      {open && (
        <pre id={diffId} className={classes.diff} data-testid="deploy-diff">
          {props.step.git.diff || t('releasePage.deploy.step.noDiff')}
        </pre>
      )}
    </Box>
  );
};

/** Counts of each kind of step, so the irreversible calls are counted apart from the commits. */
function kindCounts(plan: DeployPlan): Record<DeployStepKind, number> {
  const counts = { git: 0, call: 0, wait: 0 };
  for (const step of plan.steps) counts[step.kind] += 1;
  return counts;
}

/**
 * A deploy plan before it runs: its live and idle colours, every step in order with its kind,
 * diff, synced apps, gate and expected time, the total, the fingerprint against the approved one,
 * and what the plan leaves out.
 */
export const PlanSteps = (props: {
  plan: DeployPlan;
  approvedFingerprint?: string;
}) => {
  const { plan, approvedFingerprint } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDuration } = useFormatters();
  const counts = kindCounts(plan);
  const short = shortFingerprint(plan.fingerprint);
  const matches = approvedFingerprint === plan.fingerprint;
  return (
    <Box
      data-testid="deploy-plan"
      data-fingerprint={plan.fingerprint}
      data-approved={approvedFingerprint ? String(matches) : 'none'}
    >
      <Typography variant="subtitle1" component="h3">
        {t('releasePage.deploy.plan.heading', {
          environment: plan.environment,
        })}
      </Typography>
      {plan.hybris && (
        <Typography variant="body2">
          {t('releasePage.deploy.plan.hybris', plan.hybris)}
        </Typography>
      )}
      <Typography variant="body2" color="textSecondary">
        {t('releasePage.deploy.plan.base', {
          project: plan.iac.project,
          branch: plan.iac.branch,
          sha: plan.iac.baseSha.slice(0, 8),
        })}
      </Typography>
      <Typography variant="body2" data-testid="deploy-plan-total">
        {t('releasePage.deploy.plan.total', {
          duration: formatDuration(plan.expectedMs),
        })}
      </Typography>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Typography
          variant="body2"
          title={plan.fingerprint}
          data-testid="deploy-plan-fingerprint"
        >
          {t('releasePage.deploy.plan.fingerprint', { fingerprint: short })}
        </Typography>
        {approvedFingerprint && matches && (
          <Chip
            size="small"
            color="primary"
            label={t('releasePage.deploy.plan.approvedSame')}
          />
        )}
        {!approvedFingerprint && (
          <Typography variant="body2" color="textSecondary">
            {t('releasePage.deploy.plan.notApproved')}
          </Typography>
        )}
      </Box>
      {approvedFingerprint && !matches && (
        <Notice
          role="alert"
          severity="warning"
          testId="deploy-plan-changed"
          title={t('releasePage.deploy.plan.changed')}
        >
          <Typography variant="body2">
            {t('releasePage.deploy.plan.changedDetail', {
              approved: shortFingerprint(approvedFingerprint),
              current: short,
            })}
          </Typography>
        </Notice>
      )}
      <Typography variant="body2" color="textSecondary">
        {t('releasePage.deploy.plan.kinds', {
          git: String(counts.git),
          call: String(counts.call),
          wait: String(counts.wait),
        })}
      </Typography>
      {plan.steps.length === 0 && (
        <Typography variant="body2">
          {t('releasePage.deploy.plan.noSteps')}
        </Typography>
      )}
      <Box component="ol" pl={3} my={1}>
        {plan.steps.map(step => (
          <Box
            component="li"
            key={step.id}
            mb={1.5}
            data-testid={`deploy-plan-step-${step.id}`}
            data-kind={step.kind}
          >
            <Box
              display="flex"
              alignItems="center"
              flexWrap="wrap"
              style={{ gap: 8 }}
            >
              <Typography variant="body2" component="span">
                <strong>{step.title}</strong>
              </Typography>
              <KindBadge step={step} />
            </Box>
            <StepFacts step={step} />
            <StepDiff step={step} />
          </Box>
        ))}
      </Box>
      {plan.notes.length > 0 && (
        <Box data-testid="deploy-plan-notes">
          <Typography variant="subtitle2">
            {t('releasePage.deploy.plan.notes')}
          </Typography>
          <Box component="ul" pl={3} my={0.5}>
            {plan.notes.map(note => (
              <Typography key={note} component="li" variant="body2">
                {note}
              </Typography>
            ))}
          </Box>
        </Box>
      )}
    </Box>
  );
};
