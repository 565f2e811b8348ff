import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';
import { currentStep, isActiveRun, planStepOf } from './deployModel';
import { useDeployView } from './useDeployView';

/**
 * Where a deploying release is: its run's current step as "Step 3/6: title", for a table row. Says
 * nothing while it loads or when it cannot be read: the state chip beside it still tells.
 */
export const DeployProgress = (props: { release: Release }) => {
  const { release } = props;
  const { t } = useTranslationRef(releaseTranslationRef);
  const { view } = useDeployView(release.id, release.revision);
  const run = view?.runs[0];
  if (!run || !isActiveRun(run)) return null;
  const step = currentStep(run);
  if (!step) return null;
  return (
    <Typography
      variant="body2"
      color="textSecondary"
      data-testid={`kop-release-deploy-step-${release.id}`}
      data-step={step.stepId}
      data-state={step.state}
    >
      {t('table.deployStep', {
        number: String(step.index + 1),
        total: String(run.steps.length),
        title: planStepOf(run, step)?.title ?? step.stepId,
      })}
    </Typography>
  );
};
