import { useEffect } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  Box,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { releaseApiRef, type ReleaseMessage } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { personOf, useTimedLoad } from '../releaseView';
import { useFormatters } from '../formatters';

/** While a message waits, the card reads again this often: a retry changes no release revision. */
const WAITING_REFRESH_MS = 10_000;

const audiences = [
  'team',
  'core-service-pls',
  'service-owners',
  'qa',
  'release-room',
  'approver',
  'on-call',
  'asana',
] as const;

const stateColour: Record<
  ReleaseMessage['state'],
  'default' | 'primary' | 'secondary'
> = {
  queued: 'default',
  sent: 'primary',
  retrying: 'secondary',
  failed: 'secondary',
};

/**
 * The release's Slack and Asana messages, oldest first: to whom, what, and whether each was sent,
 * waits for its next try (with the last error) or was refused.
 */
export const MessagesCard = (props: {
  id: string;
  /** Changes whenever the release changed: its messages may have too. */
  revision: number;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const timed = useTimedLoad();
  const { formatDateTime } = useFormatters();
  const messages = useAsyncRetry(
    () => timed(api.getMessages(props.id), t('releasePage.loading.messages')),
    [api, props.id, props.revision, timed],
  );
  const items = messages.value?.items ?? [];
  const waiting = items.some(
    m => m.state === 'queued' || m.state === 'retrying',
  );
  const { retry } = messages;
  useEffect(() => {
    if (!waiting) return undefined;
    const timer = setTimeout(retry, WAITING_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [waiting, retry, messages.value]);

  const audienceOf = (audience: string) =>
    (audiences as readonly string[]).includes(audience)
      ? t(
          `releasePage.messages.audiences.${
            audience as (typeof audiences)[number]
          }`,
        )
      : audience;
  const at = (iso: string) =>
    formatDateTime(iso, { dateStyle: 'medium', timeStyle: 'medium' });

  return (
    <InfoCard title={t('releasePage.messages.title')}>
      {messages.error && (
        <ReleaseErrorMessage
          error={messages.error}
          title={t('releasePage.messages.loadFailed')}
          onRetry={retry}
        />
      )}
      {messages.loading && !messages.value && <Progress />}
      {messages.value && items.length === 0 && (
        <Box>{t('releasePage.messages.empty')}</Box>
      )}
      {items.length > 0 && (
        <Table size="small" data-testid="kop-release-messages">
          <TableHead>
            <TableRow>
              <TableCell>{t('releasePage.messages.to')}</TableCell>
              <TableCell>{t('releasePage.messages.text')}</TableCell>
              <TableCell>{t('releasePage.messages.state')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {items.map(message => (
              <TableRow key={message.id} data-testid="kop-release-message">
                <TableCell>
                  <Typography variant="body2">
                    {audienceOf(message.audience)}
                    {message.urgent && (
                      <>
                        {' '}
                        <Chip
                          size="small"
                          color="secondary"
                          label={t('releasePage.messages.urgent')}
                        />
                      </>
                    )}
                  </Typography>
                  <Typography variant="caption" color="textSecondary">
                    {personOf(message.destination)}
                  </Typography>
                </TableCell>
                <TableCell>{message.summary}</TableCell>
                <TableCell>
                  <Chip
                    size="small"
                    color={stateColour[message.state]}
                    label={t(`releasePage.messages.states.${message.state}`)}
                  />
                  {message.sentAt && (
                    <Typography variant="caption" display="block">
                      {t('releasePage.messages.sentAt', {
                        at: at(message.sentAt),
                      })}
                    </Typography>
                  )}
                  {message.state !== 'sent' && message.attempts > 0 && (
                    <Typography variant="caption" display="block">
                      {t('releasePage.messages.tries', {
                        count: message.attempts,
                      })}
                    </Typography>
                  )}
                  {message.lastError && message.state !== 'sent' && (
                    <Typography variant="caption" display="block" color="error">
                      {message.lastError}
                    </Typography>
                  )}
                  {message.state === 'retrying' && message.nextAttemptAt && (
                    <Typography variant="caption" display="block">
                      {t('releasePage.messages.nextTry', {
                        at: at(message.nextAttemptAt),
                      })}
                    </Typography>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};
