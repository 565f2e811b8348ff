import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type LoggerService,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import type {
  ReleaseSystem,
  SystemCheck,
  SystemCheckReport,
} from '@internal/plugin-release-common';
import { ArgoCdClients } from './argocd/clients';
import { AsanaClient } from './asana/AsanaClient';
import { GitlabClient } from './gitlab/GitlabClient';
import { HybrisClusterClient } from './hybris/HybrisClusterClient';
import { JenkinsClient } from './jenkins/JenkinsClient';
import { PrometheusClient } from './prometheus/PrometheusClient';
import { SlackClient } from './slack/SlackClient';

// Defined in release-common with the setup-check answer; offered here beside the clients that report them.
export type {
  ReleaseSystem,
  SystemCheck,
  SystemCheckReport,
} from '@internal/plugin-release-common';

interface Checkable {
  check(): Promise<{ ok: boolean; checks: SystemCheck[] }>;
}

/** @public */
export interface SystemCheckOptions {
  /** Per system: a check still running after this is reported as failed (it is not stopped). */
  timeoutMs?: number;
}

/** The promise's value, or "no answer within N s: <hint>" when it takes longer than `ms`. */
function withTimeout<T>(
  work: Promise<T>,
  ms: number | undefined,
  hint: string,
): Promise<T> {
  if (ms === undefined) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ms / 1000} s: ${hint}`)),
      ms,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Each system's name and where its settings live, for the "not configured" message.
 *
 * @public
 */
export const releaseSystemSections: Record<
  ReleaseSystem,
  { name: string; section: string }
> = {
  argocd: { name: 'Argo CD', section: 'argocd.instances' },
  gitlab: { name: 'GitLab', section: 'integrations.gitlab' },
  jenkins: { name: 'Jenkins', section: 'jenkins' },
  asana: { name: 'Asana', section: 'asana' },
  slack: { name: 'Slack', section: 'slack' },
  prometheus: { name: 'Prometheus', section: 'prometheus' },
  hybris: { name: 'hybris', section: 'hybris.clusterStatus' },
};

/**
 * A factory per system; each returns undefined when its config section is absent. Systems added
 * later (the gate's Prometheus and hybris clients) register here the same way.
 *
 * @public
 */
export type ReleaseClientFactories = {
  [K in keyof ReleaseClientTypes]: (
    config: RootConfigService,
    logger: LoggerService,
  ) => ReleaseClientTypes[K] | undefined;
};

/** @public */
export interface ReleaseClientTypes {
  argocd: ArgoCdClients;
  gitlab: GitlabClient;
  jenkins: JenkinsClient;
  asana: AsanaClient;
  slack: SlackClient;
  prometheus: PrometheusClient;
  hybris: HybrisClusterClient;
}

/** @public */
export const defaultReleaseClientFactories: ReleaseClientFactories = {
  argocd: (config, logger) =>
    config.has('argocd')
      ? ArgoCdClients.fromConfig(config, { logger })
      : undefined,
  gitlab: (config, logger) =>
    (config.getOptionalConfigArray('integrations.gitlab') ?? []).length > 0
      ? GitlabClient.fromConfig(config, { logger })
      : undefined,
  jenkins: (config, logger) => JenkinsClient.fromConfig(config, { logger }),
  asana: (config, logger) => AsanaClient.fromConfig(config, { logger }),
  slack: (config, logger) => SlackClient.fromConfig(config, { logger }),
  prometheus: (config, logger) =>
    PrometheusClient.fromConfig(config, { logger }),
  hybris: (config, logger) =>
    HybrisClusterClient.fromConfig(config, { logger }),
};

/**
 * Every client of the portal, built from config on first use so that one system's bad setting
 * shows up in `check()` (and `GET /setup-check`) instead of stopping the backend.
 *
 * @public
 */
export class ReleaseIntegrations {
  private readonly built = new Map<
    keyof ReleaseClientTypes,
    { client?: unknown; error?: Error }
  >();

  constructor(
    private readonly config: RootConfigService,
    private readonly logger: LoggerService,
    private readonly factories: ReleaseClientFactories = defaultReleaseClientFactories,
  ) {}

  /** The client of a system, or a clear error saying which setting is missing or wrong. */
  get<K extends keyof ReleaseClientTypes>(system: K): ReleaseClientTypes[K] {
    const entry = this.build(system);
    if (entry.error) throw entry.error;
    if (entry.client === undefined) {
      const { name, section } = releaseSystemSections[system];
      throw new Error(
        `${name} is not configured: set ${section} in app-config`,
      );
    }
    return entry.client as ReleaseClientTypes[K];
  }

  /** Whether the system has settings (they may still be wrong). */
  has(system: keyof ReleaseClientTypes): boolean {
    const entry = this.build(system);
    return entry.error !== undefined || entry.client !== undefined;
  }

  get argocd(): ArgoCdClients {
    return this.get('argocd');
  }
  get gitlab(): GitlabClient {
    return this.get('gitlab');
  }
  get jenkins(): JenkinsClient {
    return this.get('jenkins');
  }
  get asana(): AsanaClient {
    return this.get('asana');
  }
  get slack(): SlackClient {
    return this.get('slack');
  }
  get prometheus(): PrometheusClient {
    return this.get('prometheus');
  }
  get hybris(): HybrisClusterClient {
    return this.get('hybris');
  }

  /** Every system's check, run in parallel; never throws, and with `timeoutMs` never hangs. */
  async checkAll(
    options: SystemCheckOptions = {},
  ): Promise<SystemCheckReport[]> {
    const systems = Object.keys(this.factories) as Array<
      keyof ReleaseClientTypes
    >;
    return Promise.all(systems.map(system => this.checkOne(system, options)));
  }

  async checkOne(
    system: keyof ReleaseClientTypes,
    options: SystemCheckOptions = {},
  ): Promise<SystemCheckReport> {
    const { name, section } = releaseSystemSections[system];
    const entry = this.build(system);
    if (entry.error) {
      return {
        system: name,
        key: system,
        configured: true,
        ok: false,
        checks: [{ name: 'config', ok: false, detail: entry.error.message }],
      };
    }
    if (entry.client === undefined) {
      return {
        system: name,
        key: system,
        configured: false,
        ok: false,
        checks: [
          {
            name: 'config',
            ok: false,
            detail: `not configured: set ${section} in app-config`,
          },
        ],
      };
    }
    try {
      const report = await withTimeout(
        (entry.client as Checkable).check(),
        options.timeoutMs,
        `check that ${section} points at a running ${name} the backend can reach`,
      );
      return { system: name, key: system, configured: true, ...report };
    } catch (e) {
      return {
        system: name,
        key: system,
        configured: true,
        ok: false,
        checks: [{ name: 'check', ok: false, detail: (e as Error).message }],
      };
    }
  }

  private build(system: keyof ReleaseClientTypes) {
    let entry = this.built.get(system);
    if (!entry) {
      try {
        entry = {
          client: this.factories[system](
            this.config,
            this.logger.child({ system }) as LoggerService,
          ),
        };
      } catch (e) {
        entry = { error: e as Error };
      }
      this.built.set(system, entry);
    }
    return entry;
  }
}

/**
 * The portal's clients of GitLab, Argo CD, Jenkins, Asana and Slack, shared by release-backend and
 * the scaffolder actions.
 *
 * @public
 */
export const releaseIntegrationsServiceRef =
  createServiceRef<ReleaseIntegrations>({
    id: 'kop.release.integrations',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.rootLogger,
        },
        factory: ({ config, logger }) =>
          new ReleaseIntegrations(config, logger),
      }),
  });
