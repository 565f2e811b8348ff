import { LinkButton, WarningPanel } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { useEntity } from '@backstage/plugin-catalog-react';
import { releaseAppOfEntity } from '@internal/plugin-release-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import { BackendStatus } from '../BackendStatus';
import { LiveStatusPanel } from '../LiveStatus';
import { ReleaseTable } from '../ReleaseTable';
import { configChangeFormPath } from '../links';
import { releaseTranslationRef } from '../../translation';

/**
 * The Deploy tab of a kop app's entity page: its live status (as on the dashboard), its release
 * history (a deploying release with the step it is at; its page has the controls) and the
 * config-change form.
 */
export const EntityDeployContent = () => {
  const { entity } = useEntity();
  const { t } = useTranslationRef(releaseTranslationRef);
  const app = releaseAppOfEntity(entity);
  if (!app) {
    return <WarningPanel title={t('deployTab.notAnApp')} />;
  }
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Box
          display="flex"
          alignItems="center"
          justifyContent="space-between"
          flexWrap="wrap"
          gridGap={16}
        >
          <BackendStatus />
          {/* It navigates: a link for screen readers, though drawn as a button. */}
          <LinkButton
            variant="outlined"
            color="primary"
            to={configChangeFormPath}
            role="link"
          >
            {t('deployTab.changeConfig')}
          </LinkButton>
        </Box>
      </Grid>
      <Grid item xs={12}>
        <LiveStatusPanel app={app} />
      </Grid>
      <Grid item xs={12}>
        <ReleaseTable
          app={app}
          heading={t('deployTab.history', { app })}
          emptyTitle={t('deployTab.emptyTitle', { app })}
          emptyDescription={t('deployTab.emptyDescription', { app })}
        />
      </Grid>
    </Grid>
  );
};
