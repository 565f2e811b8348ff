import { useCallback, useState } from 'react';
import { useParams } from 'react-router-dom';
import {
  Content,
  Header,
  Link,
  Page,
  Progress,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Box, Grid } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef } from '../../api';
import { approvalsRouteRef, rootRouteRef } from '../../routes';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { AnnouncementCard } from './AnnouncementCard';
import { ApprovalsCard } from './ApprovalsCard';
import { AuditTrailCard } from './AuditTrailCard';
import { MessagesCard } from './MessagesCard';
import { DeployCard } from '../DeployCard';
import {
  environmentOf,
  personOf,
  useReleaseConfig,
  useStateLabel,
  useTimedLoad,
} from '../releaseView';
import { useReleaseSignal } from '../releaseSignals';
import { GradeCard } from './GradeCard';
import { IacDiffCard } from './IacDiffCard';
import { LinksCard } from './LinksCard';
import {
  RequestApprovalCard,
  showsRequestApproval,
} from './RequestApprovalCard';
import { VersionsCard } from './VersionsCard';
import { WhatShipsCard } from './WhatShipsCard';

/**
 * One release at /releases/:id: what it ships, its grade and approvals, its announcement and its
 * audit trail, and the Deploy card that drives the release engine.
 */
export const ReleasePage = () => {
  const { id = '' } = useParams();
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const { environments } = useReleaseConfig();
  const releasesLink = useRouteRef(rootRouteRef);
  const approvalsLink = useRouteRef(approvalsRouteRef);
  const stateLabel = useStateLabel();
  // Bumped by a decision or a reload: everything that may have changed is read again.
  const [refresh, setRefresh] = useState(0);
  const reload = useCallback(() => setRefresh(n => n + 1), []);
  // A refused decision is audited and changes nothing else: only the trail is read again.
  const [refusals, setRefusals] = useState(0);
  const refusalAudited = useCallback(() => setRefusals(n => n + 1), []);

  const timed = useTimedLoad();
  const release = useAsyncRetry(
    () => timed(api.getRelease(id), t('releasePage.loading.release')),
    [api, id, refresh],
  );
  const approvals = useAsyncRetry(
    () => timed(api.getApprovals(id), t('releasePage.loading.approvals')),
    [api, id, refresh],
  );
  const current = release.value;
  // Someone else acted on this release: read it again, unless this page already shows that revision.
  useReleaseSignal(signal => {
    if (signal.releaseId !== id) return;
    if (current && signal.revision <= current.revision) return;
    reload();
  });

  return (
    <Page themeId="tool">
      <Header
        title={current?.title ?? t('releasePage.title')}
        subtitle={
          current
            ? t('releasePage.subtitle', {
                state: stateLabel(current.state),
                grade: current.grade,
                author: personOf(current.author),
              })
            : undefined
        }
      />
      <Content>
        <Box mb={2} display="flex" style={{ gap: 16 }}>
          <Link to={releasesLink()}>{t('releasePage.allReleases')}</Link>
          <Link to={approvalsLink()}>{t('releasePage.approvalsInbox')}</Link>
        </Box>
        {release.error && (
          <ReleaseErrorMessage
            error={release.error}
            title={t('releasePage.loadFailed', { id })}
            onRetry={reload}
          />
        )}
        {!current && !release.error && <Progress />}
        {current && (
          <Grid container spacing={3} data-testid="kop-release-page">
            <Grid item xs={12} md={8}>
              <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
                <VersionsCard release={current} />
                <DeployCard release={current} onChanged={reload} />
                <WhatShipsCard
                  release={current}
                  environment={environmentOf(current.state, environments)}
                />
                <AnnouncementCard id={id} revision={current.revision} />
                <IacDiffCard
                  id={id}
                  revision={current.revision}
                  environment={environmentOf(current.state, environments)}
                />
                <MessagesCard id={id} revision={current.revision} />
                <AuditTrailCard id={id} refresh={refresh + refusals} />
              </Box>
            </Grid>
            <Grid item xs={12} md={4}>
              <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
                <GradeCard release={current} approvals={approvals.value} />
                {showsRequestApproval(current.state) && (
                  <RequestApprovalCard
                    release={current}
                    approvals={approvals.value}
                    onRequested={reload}
                    onReload={reload}
                    onFailed={refusalAudited}
                  />
                )}
                <ApprovalsCard
                  release={current}
                  approvals={approvals.value}
                  error={approvals.error}
                  onDecided={reload}
                  onReload={reload}
                  onFailed={refusalAudited}
                />
                <LinksCard release={current} />
              </Box>
            </Grid>
          </Grid>
        )}
      </Content>
    </Page>
  );
};
