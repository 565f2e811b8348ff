import { useCallback } from 'react';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  DeployGate,
  DeployGateCheck,
  DeployPlanStep,
} from '@internal/plugin-release-common';
import { releaseTranslationRef } from '../../translation';
import { useFormatters } from '../formatters';
import { formatMetric } from '../LiveStatus/Sparkline';

/** Checks a hybris gate's words already name: pods ready and the JGroups view. */
const namedChecks = ['pods-ready', 'cluster-status'];

/** Gates, check bounds and colours of a plan in the reader's words. */
export function useDeployWords() {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { formatDuration, formatNumber } = useFormatters();

  const check = useCallback(
    (c: DeployGateCheck): string => {
      const min =
        c.min === undefined ? undefined : formatMetric(c.min, formatNumber);
      const max =
        c.max === undefined ? undefined : formatMetric(c.max, formatNumber);
      if (min !== undefined && max !== undefined) {
        return t('releasePage.deploy.gate.checkRange', {
          name: c.name,
          min,
          max,
        });
      }
      if (max !== undefined) {
        return t('releasePage.deploy.gate.checkMax', { name: c.name, max });
      }
      if (min !== undefined) {
        return t('releasePage.deploy.gate.checkMin', { name: c.name, min });
      }
      return c.name;
    },
    [t, formatNumber],
  );

  const gate = useCallback(
    (g: DeployGate): string => {
      const withChecks = (words: string, checks: DeployGateCheck[]) =>
        [words, ...checks.map(check)].join(', ');
      switch (g.type) {
        case 'none':
          return t('releasePage.deploy.gate.none');
        case 'healthy':
          return t('releasePage.deploy.gate.healthy', {
            apps: g.argocdApps.join(', '),
          });
        case 'hybris':
          return withChecks(
            t('releasePage.deploy.gate.hybris', {
              colour: g.colour,
              nodes: String(g.expectedNodes),
              soak: formatDuration(g.soakMs),
            }),
            g.checks.filter(c => !namedChecks.includes(c.name)),
          );
        case 'watch':
          return withChecks(
            t('releasePage.deploy.gate.watch', {
              colour: g.colour,
              window: formatDuration(g.windowMs),
            }),
            g.checks,
          );
        case 'pipeline':
          return t('releasePage.deploy.gate.pipeline', {
            project: g.project,
            branch: g.sourceBranch,
          });
        case 'approval':
          return t('releasePage.deploy.gate.approval', {
            roles: g.roles.join(', '),
          });
        case 'acknowledgement':
          return t('releasePage.deploy.gate.acknowledgement');
        default:
          return (g as { type: string }).type;
      }
    },
    [t, check, formatDuration],
  );

  const colour = useCallback(
    (h: NonNullable<DeployPlanStep['hybris']>): string => {
      const role = {
        new: t('releasePage.deploy.step.roleNew'),
        old: t('releasePage.deploy.step.roleOld'),
        switch: t('releasePage.deploy.step.roleSwitch'),
      }[h.role];
      return h.replicas === undefined
        ? t('releasePage.deploy.step.colour', { colour: h.colour, role })
        : t('releasePage.deploy.step.colourReplicas', {
            colour: h.colour,
            role,
            replicas: String(h.replicas),
          });
    },
    [t],
  );

  return { gate, colour };
}
