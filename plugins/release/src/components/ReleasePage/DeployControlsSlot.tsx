import { InfoCard } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { Release } from '@internal/plugin-release-common';
import { Typography } from '@material-ui/core';
import { releaseTranslationRef } from '../../translation';

/**
 * DEPLOY CONTROLS GO HERE. The orchestrator (a later issue) replaces this card's body with the
 * plan and Deploy / Pause / Resume / Abort / Rollback for this release.
 */
export const DeployControlsSlot = (props: { release: Release }) => {
  const { t } = useTranslationRef(releaseTranslationRef);
  return (
    <InfoCard title={t('releasePage.deploy.title')}>
      <Typography
        variant="body2"
        color="textSecondary"
        data-testid="kop-deploy-controls"
        data-release-state={props.release.state}
      >
        {t('releasePage.deploy.placeholder')}
      </Typography>
    </InfoCard>
  );
};
