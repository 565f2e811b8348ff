import {
  Content,
  ContentHeader,
  Header,
  Link,
  LinkButton,
  Page,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  isOpenReleaseState,
  releaseStates,
} from '@internal/plugin-release-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import { BackendStatus } from '../BackendStatus';
import { LiveStatusPanel } from '../LiveStatus';
import { PendingApprovals } from '../PendingApprovals';
import { ReleaseTable } from '../ReleaseTable';
import {
  HaltBanner,
  StopTheLineError,
  StopTheLineSwitch,
  useStopTheLine,
} from '../StopTheLine';
import { newReleaseFormPath } from '../links';
import { useReleaseConfig } from '../releaseView';
import { setupRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';

const openStates = releaseStates.filter(isOpenReleaseState);

/**
 * Every app's live status per environment, the open releases, what waits for me, the way to
 * start a new release, and the stop-the-line switch with its banner.
 */
export const ReleasesDashboard = () => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const { product } = useReleaseConfig();
  const setupLink = useRouteRef(setupRouteRef);
  const line = useStopTheLine();
  return (
    <Page themeId="tool">
      <Header
        title={t('releasesPage.title')}
        subtitle={t('releasesPage.subtitle', { product })}
      />
      <Content>
        <ContentHeader title={t('releasesPage.title')}>
          <Box display="flex" alignItems="center" gridGap={16}>
            <Link to={setupLink()}>{t('releasesPage.setupLink')}</Link>
            <StopTheLineSwitch line={line.value} onSwitched={line.retry} />
            {/* It navigates: a link for screen readers, though drawn as a button. */}
            <LinkButton
              variant="contained"
              color="primary"
              to={newReleaseFormPath}
              role="link"
            >
              {t('releasesPage.newRelease')}
            </LinkButton>
          </Box>
        </ContentHeader>
        <BackendStatus />
        {line.value?.halt && <HaltBanner halt={line.value.halt} />}
        {line.error && <StopTheLineError error={line.error} />}
        <Grid container spacing={3}>
          <Grid item xs={12} lg={8}>
            <LiveStatusPanel />
          </Grid>
          <Grid item xs={12} lg={4}>
            <PendingApprovals />
          </Grid>
          <Grid item xs={12}>
            <ReleaseTable
              states={openStates}
              heading={t('releasesPage.openReleases')}
              emptyTitle={t('releasesPage.emptyTitle')}
              emptyDescription={t('releasesPage.emptyDescription')}
            />
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
};
