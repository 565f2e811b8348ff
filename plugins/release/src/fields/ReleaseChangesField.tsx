import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import type { ReleaseItem } from '@internal/plugin-release-common';
import {
  Box,
  Chip,
  FormHelperText,
  FormLabel,
  IconButton,
  Link,
  TextField,
  Typography,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import { Progress, WarningPanel } from '@backstage/core-components';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef, type WhatShips } from '../api';
import { RunningCommit } from '../components/RunningCommit';
import { releaseTranslationRef } from '../translation';
import { AsanaTaskPicker } from './AsanaTaskPicker';
import { FieldFrame } from './FieldFrame';
import type { ReleaseChangesValue, ReleaseFormData } from './draft';

/** ui:options: whether a version behind what runs is allowed (Rollback); the Asana picker (Prepare). */
export interface ReleaseChangesOptions {
  allowOlder?: boolean;
  asanaTasks?: boolean;
}

function summarize(
  shipped: WhatShips[],
  items: ReleaseItem[],
): ReleaseChangesValue {
  const changeClasses = [
    ...new Set(
      shipped.flatMap(s =>
        Object.entries(s.changeClasses)
          .filter(([, paths]) => paths.length > 0)
          .map(([name]) => name),
      ),
    ),
  ].sort();
  const listed = (project: string | undefined, iid: number) =>
    items.some(
      i =>
        i.source.type === 'mr' &&
        i.source.iid === iid &&
        (project === undefined || i.source.project === project),
    );
  const mixedIn = shipped.reduce(
    (n, s) =>
      n +
      s.mergeRequests.filter(mr => {
        const proposed = s.proposedItems.find(
          p => p.source.type === 'mr' && p.source.iid === mr.iid,
        );
        const project =
          proposed?.source.type === 'mr' ? proposed.source.project : undefined;
        return !listed(project, mr.iid);
      }).length,
    0,
  );
  return {
    items,
    changeClasses,
    mixedIn,
    notNewer: shipped.filter(s => !s.newer).map(s => s.app),
    dbUpdate: changeClasses.includes('dbChange'),
  };
}

/** The items to start from: one per MR, or for a version going back, the rollback itself. */
function proposedItemsOf(s: WhatShips): ReleaseItem[] {
  if (s.proposedItems.length > 0 || s.newer) return s.proposedItems;
  return [
    {
      title: `[ROLLBACK] ${s.app} ${s.deployed.version} → ${s.candidate.version}`,
      app: s.app,
      source: { type: 'commit', project: s.project, sha: s.candidate.sha },
    },
  ];
}

/**
 * What ships, per app: the merged MRs between what runs and the candidate, proposed as the
 * release's items and editable. An MR removed from the items is flagged as mixed in, and changed
 * paths that match the DB-change patterns are shown, because nothing may ship unnoticed.
 */
export const ReleaseChangesField = (
  props: FieldExtensionComponentProps<
    ReleaseChangesValue,
    ReleaseChangesOptions
  >,
) => {
  const { formData, onChange, formContext, rawErrors, disabled } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const release = (formContext?.formData as ReleaseFormData | undefined)
    ?.release;
  const key = JSON.stringify(release ?? null);
  const [shipped, setShipped] = useState<WhatShips[]>([]);
  const state = useAsync(async () => {
    if (!release?.apps?.length) return [];
    return Promise.all(
      release.apps
        .filter(a => a.version)
        .map(a =>
          api.whatShips({
            app: a.app,
            environment: release.environment,
            candidate: a.version,
          }),
        ),
    );
  }, [api, key]);

  useEffect(() => {
    if (!state.value) return;
    setShipped(state.value);
    const keep = formData?.items?.length
      ? formData.items
      : state.value.flatMap(proposedItemsOf);
    onChange(summarize(state.value, keep));
    // The form's value follows what ships; re-run only when that changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.value]);

  const items = formData?.items ?? [];
  const update = (next: ReleaseItem[]) => onChange(summarize(shipped, next));

  if (!release?.apps?.length) {
    return <Typography>{t('fields.changes.pickVersionsFirst')}</Typography>;
  }
  if (state.loading) return <Progress />;
  if (state.error) {
    return (
      <WarningPanel
        severity="error"
        title={t('fields.changes.loadFailed')}
        message={state.error.message}
      />
    );
  }
  const isItem = (iid: number) =>
    items.some(i => i.source.type === 'mr' && i.source.iid === iid);
  return (
    <FieldFrame
      legend={props.schema.title ?? t('fields.changes.title')}
      rawErrors={rawErrors}
    >
      {shipped.map(s => (
        <Box key={s.app} mt={2} data-testid={`kop-ships-${s.app}`}>
          <Typography variant="subtitle1">
            {t('fields.changes.appHeading', {
              app: s.app,
              from: s.deployed.version,
              to: s.candidate.version,
            })}
          </Typography>
          <RunningCommit deployed={s.deployed} />
          {!s.newer && (
            <FormHelperText error>
              {t('fields.changes.notNewer', { app: s.app })}
            </FormHelperText>
          )}
          {Object.entries(s.changeClasses)
            .filter(([, paths]) => paths.length > 0)
            .map(([name, paths]) => (
              <Box key={name} my={1}>
                <Chip
                  size="small"
                  color="secondary"
                  label={t('fields.changes.changeClass', { name })}
                />
                <Typography variant="caption" component="div">
                  {paths.join(', ')}
                </Typography>
              </Box>
            ))}
          {s.mergeRequests.map(mr => (
            <Box key={mr.iid} display="flex" alignItems="center">
              <Typography variant="body2" style={{ flex: 1 }}>
                {mr.url ? <Link href={mr.url}>!{mr.iid}</Link> : `!${mr.iid}`}{' '}
                {mr.title}
              </Typography>
              {!isItem(mr.iid) && (
                <Chip
                  size="small"
                  label={t('fields.changes.mixedIn')}
                  data-testid="kop-mixed-in"
                />
              )}
            </Box>
          ))}
        </Box>
      ))}
      <Box mt={2}>
        <FormLabel>{t('fields.changes.items')}</FormLabel>
        {items.map((item, i) => (
          <Box key={i} display="flex" alignItems="center">
            <TextField
              fullWidth
              margin="dense"
              value={item.title}
              disabled={disabled}
              inputProps={{ 'aria-label': t('fields.changes.itemTitle') }}
              onChange={e =>
                update(
                  items.map((it, j) =>
                    j === i ? { ...it, title: e.target.value } : it,
                  ),
                )
              }
            />
            {item.source.type === 'asana' && item.source.url && (
              <Link href={item.source.url} variant="caption">
                {t('fields.changes.asanaLink')}
              </Link>
            )}
            <IconButton
              aria-label={t('fields.changes.remove')}
              disabled={disabled}
              onClick={() => update(items.filter((_, j) => j !== i))}
            >
              <DeleteIcon />
            </IconButton>
          </Box>
        ))}
      </Box>
      {props.uiSchema?.['ui:options']?.asanaTasks && (
        <AsanaTaskPicker
          items={items}
          apps={release.apps.map(a => a.app)}
          disabled={disabled}
          onAdd={item => update([...items, item])}
        />
      )}
    </FieldFrame>
  );
};

/** Refuses an empty item list, empty titles, and a candidate that is not ahead of what runs. */
export function validateReleaseChanges(
  value: ReleaseChangesValue | undefined,
  validation: { addError(message: string): void },
  context?: { uiSchema?: { 'ui:options'?: ReleaseChangesOptions } },
) {
  if (!value?.items?.length) {
    validation.addError('changes.items: list at least one item that ships');
    return;
  }
  value.items.forEach((item, i) => {
    if (!item.title.trim()) {
      validation.addError(`changes.items[${i}]: the title is empty`);
    }
    if (item.source.type === 'asana' && !/^\d{1,30}$/.test(item.source.gid)) {
      validation.addError(
        `changes.items[${i}].source.gid: an Asana item needs its task gid`,
      );
    }
  });
  if (!context?.uiSchema?.['ui:options']?.allowOlder) {
    for (const app of value.notNewer) {
      validation.addError(
        `release.${app}: the version is not newer than what runs (use the Rollback form to go back)`,
      );
    }
  }
}
