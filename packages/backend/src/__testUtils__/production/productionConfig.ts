import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { configVariableUses } from '../../lifecycle/configCheck';
import { REPO_ROOT } from '../portal';

const PRODUCTION_CONFIG = resolve(REPO_ROOT, 'app-config.production.yaml');

/** The variables app-config.production.yaml reads; `optional` ones have a fallback (`${X:-d}`). */
export function productionVariables(): { name: string; optional: boolean }[] {
  const seen = new Map<string, boolean>();
  for (const use of configVariableUses(
    readFileSync(PRODUCTION_CONFIG, 'utf8'),
  )) {
    seen.set(use.name, (seen.get(use.name) ?? true) && use.optional);
  }
  return [...seen].map(([name, optional]) => ({ name, optional }));
}

/**
 * The environment an operator sets for app-config.production.yaml, every system pointed at the
 * sandbox and PostgreSQL at 127.0.0.1:5432. Fails naming any variable the file reads that this
 * does not set, so a new one is not left for the process to trip on.
 */
export function productionEnv(options: {
  sandboxUrl: string;
  portalUrl: string;
  port: number;
  postgres: { host: string; port: number; user: string; password?: string };
}): Record<string, string> {
  const s = options.sandboxUrl;
  const values: Record<string, string> = {
    PORTAL_BASE_URL: options.portalUrl,
    BACKEND_LISTEN_HOST: '127.0.0.1',
    BACKEND_LISTEN_PORT: String(options.port),
    BACKEND_SECRET: 'production-check-backend-secret',
    KOP_AUTOMATION_TOKEN: 'production-check-automation-token',
    POSTGRES_HOST: options.postgres.host,
    POSTGRES_PORT: String(options.postgres.port),
    POSTGRES_USER: options.postgres.user,
    // A local cluster with trust auth asks for none, but production needs one set.
    POSTGRES_PASSWORD: options.postgres.password || 'unused-with-trust-auth',
    GITLAB_HOST: new URL(s).host,
    GITLAB_TOKEN: 'glpat-kop-sandbox-release-bot',
    AUTH_GITLAB_CLIENT_ID: 'production-check-client',
    AUTH_GITLAB_CLIENT_SECRET: 'production-check-client-secret',
    ARGOCD_BETA_URL: `${s}/argocd/beta`,
    ARGOCD_BETA_TOKEN: 'argocd-sandbox-token',
    ARGOCD_PROD_URL: `${s}/argocd/prod`,
    ARGOCD_PROD_TOKEN: 'argocd-sandbox-token',
    PROMETHEUS_URL: `${s}/prometheus`,
    PROMETHEUS_TOKEN: 'prometheus-sandbox-token',
    JENKINS_URL: `${s}/jenkins`,
    JENKINS_USER: 'kop-bot',
    JENKINS_API_TOKEN: 'jenkins-sandbox-token',
    JENKINS_BUILD_TOKEN: 'kop-build-token',
    ASANA_TOKEN: 'asana-sandbox-token',
    ASANA_RELEASE_PROJECT_GID: '1200000000000010',
    ASANA_RELEASE_SECTION_GID: '1200000000000011',
    ASANA_FIELD_GRADE_GID: '1200000000000020',
    ASANA_FIELD_BUILD_NUMBER_GID: '1200000000000030',
    ASANA_FIELD_DB_UPDATE_GID: '1200000000000040',
    SLACK_BOT_TOKEN: 'xoxb-sandbox-token',
    SLACK_SIGNING_SECRET: 'production-check-signing-secret',
    HYBRIS_BETA_BLUE_URL: `${s}/hybris/beta/blue`,
    HYBRIS_BETA_GREEN_URL: `${s}/hybris/beta/green`,
    HYBRIS_PROD_BLUE_URL: `${s}/hybris/prod/blue`,
    HYBRIS_PROD_GREEN_URL: `${s}/hybris/prod/green`,
    GRAFANA_URL: 'https://grafana.example.com',
  };
  const missing = productionVariables()
    .filter(v => !v.optional && !(v.name in values))
    .map(v => v.name);
  if (missing.length > 0) {
    throw new Error(
      `app-config.production.yaml reads ${missing.join(
        ', ',
      )}, which productionEnv does not set`,
    );
  }
  return values;
}

/**
 * What the sandbox needs on top of app-config.production.yaml that no variable sets: its GitLab,
 * Asana and Slack speak plain HTTP under a path; sign-in is the demo one (nobody signs in to a
 * real GitLab here); the release settings of the end-to-end tests (windows always open, short
 * soak, the engine looking often) for the sandbox's fast clock, and post-deploy tests checking this
 * sandbox; and a database prefix of its own.
 */
export function sandboxOverlay(options: {
  sandboxUrl: string;
  databasePrefix: string;
}): string {
  const s = options.sandboxUrl;
  const read = (file: string) =>
    parse(readFileSync(resolve(REPO_ROOT, file), 'utf8'));
  const e2e = read('app-config.e2e.yaml');
  // The local layer's post-deploy tests check the sandbox where ./kop start puts it.
  const postDeployTests = JSON.parse(
    JSON.stringify(
      read('app-config.local.yaml').release.postDeployTests,
    ).replaceAll('http://127.0.0.1:7100', s),
  );
  return stringify({
    backend: { database: { prefix: options.databasePrefix } },
    integrations: {
      gitlab: [
        {
          host: new URL(s).host,
          apiBaseUrl: `${s}/gitlab/api/v4`,
          token: 'glpat-kop-sandbox-release-bot',
        },
      ],
    },
    asana: { baseUrl: `${s}/asana/api/1.0` },
    slack: { apiUrl: `${s}/slack/api/` },
    auth: { environment: 'development', providers: { demo: {} } },
    release: { ...e2e.release, postDeployTests },
  });
}
