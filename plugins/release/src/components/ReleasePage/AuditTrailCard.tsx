import { useEffect, useState } from 'react';
import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  Box,
  Button,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { releaseApiRef, type ReleaseAuditRecord } from '../../api';
import { releaseTranslationRef } from '../../translation';
import { ReleaseErrorMessage } from '../ReleaseError';
import { personOf, useStateLabel, useTimedLoad } from '../releaseView';
import { useFormatters } from '../formatters';

const PAGE = 200;

const stateOf = (value: unknown): string | undefined => {
  const state = (value as { state?: unknown } | undefined)?.state;
  return typeof state === 'string' ? state : undefined;
};

/** What a row says beyond its action: why it was refused, or the move between states. */
function detailOf(
  row: ReleaseAuditRecord,
  stateLabel: (state: string) => string,
): string {
  const message = row.meta?.message;
  if (typeof message === 'string') return message;
  const from = stateOf(row.before);
  const to = stateOf(row.after);
  if (from && to && from !== to) {
    return `${stateLabel(from)} → ${stateLabel(to)}`;
  }
  return to ? stateLabel(to) : '';
}

/** The release's audit trail, oldest first, refused attempts included; more on request. */
export const AuditTrailCard = (props: {
  id: string;
  /** Changes whenever something may have added rows (a decision, a refusal, a reload). */
  refresh: number;
}) => {
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const [rows, setRows] = useState<ReleaseAuditRecord[]>([]);
  const [full, setFull] = useState(false);
  const timed = useTimedLoad();
  const stateLabel = useStateLabel();
  const { formatDateTime } = useFormatters();
  const [state, load] = useAsyncFn(
    async (afterSeq?: number) => {
      const page = await timed(
        api.getAudit(props.id, { afterSeq, limit: PAGE }),
        t('releasePage.loading.audit'),
      );
      setRows(before =>
        afterSeq === undefined ? page.items : [...before, ...page.items],
      );
      setFull(page.items.length === PAGE);
    },
    [api, props.id, timed],
  );
  useEffect(() => {
    load();
  }, [load, props.refresh]);
  const lastSeq = rows.length ? rows[rows.length - 1].seq : undefined;

  return (
    <InfoCard title={t('releasePage.audit.title')}>
      {state.error && (
        <ReleaseErrorMessage
          error={state.error}
          title={t('releasePage.audit.loadFailed')}
          onRetry={() => load(lastSeq)}
        />
      )}
      {state.loading && rows.length === 0 && <Progress />}
      {!state.loading && !state.error && rows.length === 0 && (
        <Box>{t('releasePage.audit.empty')}</Box>
      )}
      {rows.length > 0 && (
        <Table size="small" data-testid="kop-release-audit">
          <TableHead>
            <TableRow>
              <TableCell>{t('releasePage.audit.at')}</TableCell>
              <TableCell>{t('releasePage.audit.actor')}</TableCell>
              <TableCell>{t('releasePage.audit.action')}</TableCell>
              <TableCell>{t('releasePage.audit.outcome')}</TableCell>
              <TableCell>{t('releasePage.audit.detail')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map(row => (
              <TableRow key={row.seq}>
                <TableCell>
                  {/* With seconds: audit rows often come a few seconds apart. */}
                  {formatDateTime(row.at, {
                    dateStyle: 'medium',
                    timeStyle: 'medium',
                  })}
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {personOf(row.actor)}
                </TableCell>
                <TableCell>{row.action}</TableCell>
                <TableCell>
                  <Chip
                    size="small"
                    color={row.outcome === 'failure' ? 'secondary' : 'default'}
                    label={
                      row.outcome === 'failure'
                        ? t('releasePage.audit.failure')
                        : t('releasePage.audit.success')
                    }
                  />
                </TableCell>
                <TableCell>{detailOf(row, stateLabel)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {full && !state.error && (
        <Box mt={1}>
          <Button
            size="small"
            disabled={state.loading}
            onClick={() => load(lastSeq)}
          >
            {t('releasePage.audit.more')}
          </Button>
        </Box>
      )}
    </InfoCard>
  );
};
