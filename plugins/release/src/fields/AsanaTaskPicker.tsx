import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { Progress, WarningPanel } from '@backstage/core-components';
import {
  releaseApps,
  type AsanaTask,
  type ReleaseApp,
  type ReleaseItem,
} from '@internal/plugin-release-common';
import {
  Box,
  Button,
  FormHelperText,
  FormLabel,
  IconButton,
  InputAdornment,
  Link,
  TextField,
  Typography,
} from '@material-ui/core';
import SearchIcon from '@material-ui/icons/Search';
import useAsync from 'react-use/esm/useAsync';
import { releaseApiRef } from '../api';
import { messageOf } from '../components/LoadError';
import { releaseTranslationRef } from '../translation';

/** The app a task's "[HYBRIS] …" tag names, when the release ships that app. */
function appOf(name: string, apps: ReleaseApp[]): ReleaseApp | undefined {
  const tag = /^\s*\[([A-Za-z]+)\]/.exec(name)?.[1]?.toLowerCase();
  const app = releaseApps.find(a => a === tag);
  return app && apps.includes(app) ? app : undefined;
}

/** The release item an Asana task becomes: its name as the title, its gid and link as the source. */
export function itemOfAsanaTask(
  task: AsanaTask,
  apps: ReleaseApp[],
): ReleaseItem {
  const app = appOf(task.name, apps);
  return {
    title: task.name,
    ...(app ? { app } : {}),
    source: {
      type: 'asana',
      gid: task.gid,
      ...(task.url ? { url: task.url } : {}),
    },
  };
}

/**
 * The open tasks of the Asana release project, to add as items beside the merge requests. Typing
 * narrows the list at once; Enter or the search button asks Asana (for tasks beyond the first page).
 */
export const AsanaTaskPicker = (props: {
  items: ReleaseItem[];
  apps: ReleaseApp[];
  disabled?: boolean;
  onAdd(item: ReleaseItem): void;
}) => {
  const { items, apps, disabled, onAdd } = props;
  const api = useApi(releaseApiRef);
  const { t } = useTranslationRef(releaseTranslationRef);
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const state = useAsync(
    () => api.listAsanaTasks(query ? { q: query } : {}),
    [api, query],
  );
  const picked = (gid: string) =>
    items.some(i => i.source.type === 'asana' && i.source.gid === gid);
  const needle = text.trim().toLowerCase();
  const shown = (state.value?.tasks ?? []).filter(task =>
    task.name.toLowerCase().includes(needle),
  );
  const search = () => setQuery(text.trim());

  let list: JSX.Element;
  if (state.loading) list = <Progress />;
  else if (state.error) {
    list = (
      <WarningPanel
        severity="warning"
        title={t('fields.changes.asana.loadFailed')}
        message={messageOf(state.error)}
      />
    );
  } else if (shown.length === 0) {
    list = (
      <Typography variant="body2">{t('fields.changes.asana.none')}</Typography>
    );
  } else {
    list = (
      <>
        {shown.map(task => (
          <Box
            key={task.gid}
            display="flex"
            alignItems="center"
            data-testid="kop-asana-task"
          >
            <Box flex={1}>
              <Typography variant="body2">
                {task.url ? (
                  <Link href={task.url}>{task.name}</Link>
                ) : (
                  task.name
                )}
              </Typography>
              <Typography variant="caption" color="textSecondary">
                {[
                  task.assignee ?? t('fields.changes.asana.unassigned'),
                  task.section,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </Typography>
            </Box>
            <Button
              size="small"
              disabled={disabled || picked(task.gid)}
              aria-label={t('fields.changes.asana.add', { name: task.name })}
              onClick={() => onAdd(itemOfAsanaTask(task, apps))}
            >
              {picked(task.gid)
                ? t('fields.changes.asana.added')
                : t('fields.changes.asana.addButton')}
            </Button>
          </Box>
        ))}
        {state.value?.truncated && (
          <FormHelperText>{t('fields.changes.asana.truncated')}</FormHelperText>
        )}
      </>
    );
  }

  return (
    <Box mt={2} data-testid="kop-asana-picker">
      <FormLabel>{t('fields.changes.asana.title')}</FormLabel>
      <TextField
        fullWidth
        margin="dense"
        value={text}
        disabled={disabled}
        inputProps={{ 'aria-label': t('fields.changes.asana.search') }}
        onChange={e => setText(e.target.value)}
        onKeyDown={e => {
          // Enter searches Asana instead of submitting the release form.
          if (e.key === 'Enter') {
            e.preventDefault();
            search();
          }
        }}
        InputProps={{
          endAdornment: (
            <InputAdornment position="end">
              <IconButton
                size="small"
                aria-label={t('fields.changes.asana.searchButton')}
                disabled={disabled}
                onClick={search}
              >
                <SearchIcon />
              </IconButton>
            </InputAdornment>
          ),
        }}
      />
      {list}
    </Box>
  );
};
