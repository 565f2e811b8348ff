import { Content, Header, Link, Page } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Box } from '@material-ui/core';
import { rootRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { ApprovalsInbox } from './ApprovalsInbox';

/** The approvals inbox at /releases/approvals. */
export const ApprovalsPage = () => {
  const { t } = useTranslationRef(releaseTranslationRef);
  const releasesLink = useRouteRef(rootRouteRef);
  return (
    <Page themeId="tool">
      <Header
        title={t('approvalsInbox.title')}
        subtitle={t('approvalsInbox.subtitle')}
      />
      <Content>
        <Box mb={2}>
          <Link to={releasesLink()}>{t('releasePage.allReleases')}</Link>
        </Box>
        <ApprovalsInbox />
      </Content>
    </Page>
  );
};
