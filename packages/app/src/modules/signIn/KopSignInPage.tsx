import { useState } from 'react';
import {
  Content,
  Header,
  Page,
  Progress,
  ProxiedSignInPage,
  SignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  discoveryApiRef,
  gitlabAuthApiRef,
  useApi,
  type IdentityApi,
  type SignInPageProps,
} from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import Card from '@material-ui/core/Card';
import CardActionArea from '@material-ui/core/CardActionArea';
import CardContent from '@material-ui/core/CardContent';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import type { DemoUsers } from '@internal/plugin-release';
import useAsync from 'react-use/esm/useAsync';
import { signInTranslationRef } from './translation';

const STORAGE_KEY = 'kop-release-portal/demo-user';

function signOutClearing(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    async signOut() {
      window.localStorage.removeItem(STORAGE_KEY);
      await identity.signOut();
    },
  };
}

const UserPicker = (props: {
  onPick: (name: string) => void;
  error?: string;
}) => {
  const discoveryApi = useApi(discoveryApiRef);
  const { t } = useTranslationRef(signInTranslationRef);
  const users = useAsync(async () => {
    const base = await discoveryApi.getBaseUrl('release');
    const res = await fetch(`${base}/demo-users`);
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    return ((await res.json()) as DemoUsers).items;
  }, [discoveryApi]);

  return (
    <Page themeId="home">
      <Header title={t('title')} subtitle={t('subtitle')} />
      <Content>
        {props.error && (
          <Typography role="alert" color="error" paragraph>
            {props.error}
          </Typography>
        )}
        {users.error && (
          <Typography role="alert" color="error" paragraph>
            {t('loadFailed', { message: users.error.message })}
          </Typography>
        )}
        {users.loading && <Progress />}
        <Typography variant="body2" color="textSecondary" paragraph>
          {t('note')}
        </Typography>
        <Grid container spacing={2}>
          {users.value?.map(user => (
            <Grid item xs={12} sm={6} md={4} lg={3} key={user.ref}>
              <Card variant="outlined">
                <CardActionArea
                  aria-label={`Sign in as ${user.name}`}
                  onClick={() => props.onPick(user.name)}
                >
                  <CardContent>
                    <Typography variant="h6">{user.displayName}</Typography>
                    <Typography variant="body2" color="textSecondary">
                      {user.name} · {user.teams.join(', ')}
                    </Typography>
                    {user.roles.map(role => (
                      <Chip key={role} size="small" label={role} />
                    ))}
                  </CardContent>
                </CardActionArea>
              </Card>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
};

const DemoSignInPage = (props: SignInPageProps) => {
  const [chosen, setChosen] = useState<string | null>(() =>
    window.localStorage.getItem(STORAGE_KEY),
  );
  const [error, setError] = useState<string>();
  const { t } = useTranslationRef(signInTranslationRef);

  if (!chosen) {
    return (
      <UserPicker
        error={error}
        onPick={name => {
          window.localStorage.setItem(STORAGE_KEY, name);
          setError(undefined);
          setChosen(name);
        }}
      />
    );
  }
  return (
    <ProxiedSignInPage
      provider="demo"
      headers={() => ({
        'x-kop-demo-user': window.localStorage.getItem(STORAGE_KEY) ?? '',
      })}
      onSignInSuccess={identity =>
        props.onSignInSuccess(signOutClearing(identity))
      }
      ErrorComponent={({ error: failure }) => {
        // A user removed from the catalog must not lock the browser out: go back to the picker.
        window.localStorage.removeItem(STORAGE_KEY);
        setTimeout(() => {
          setError(
            t('signInFailed', {
              user: chosen,
              message: failure?.message ?? '',
            }),
          );
          setChosen(null);
        });
        return null;
      }}
    />
  );
};

/** GitLab in production; locally, a picker of the demo users of catalog/org.yaml. */
export const KopSignInPage = (props: SignInPageProps) => {
  const config = useApi(configApiRef);
  const { t } = useTranslationRef(signInTranslationRef);
  if (config.getOptionalString('auth.environment') === 'production') {
    return (
      <SignInPage
        {...props}
        title={t('title')}
        provider={{
          id: 'gitlab-auth-provider',
          title: 'GitLab',
          message: t('gitlab'),
          apiRef: gitlabAuthApiRef,
        }}
      />
    );
  }
  return <DemoSignInPage {...props} />;
};
