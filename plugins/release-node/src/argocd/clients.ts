import type { Config } from '@backstage/config';
import {
  ArgoCdClient,
  type ArgoCdCheckReport,
  type ArgoCdClientOptions,
} from './ArgoCdClient';
import { readArgoCdSettings, type ArgoCdInstanceConfig } from './config';
import { ARGOCD_SYSTEM } from './errors';

/**
 * One client per configured Argo CD instance; the first instance is the default.
 *
 * @public
 */
export class ArgoCdClients {
  private readonly clients: ArgoCdClient[];
  private readonly environments = new Map<string, ArgoCdClient>();

  static fromConfig(
    config: Config,
    options: Omit<ArgoCdClientOptions, 'instance'> = {},
  ): ArgoCdClients {
    const settings = readArgoCdSettings(config);
    return new ArgoCdClients(settings?.instances ?? [], {
      pollIntervalMs: settings?.pollIntervalMs,
      busyTimeoutMs: settings?.busyTimeoutMs,
      operationTimeoutMs: settings?.operationTimeoutMs,
      ...options,
    });
  }

  constructor(
    instances: ArgoCdInstanceConfig[],
    options: Omit<ArgoCdClientOptions, 'instance'> = {},
  ) {
    this.clients = instances.map(
      instance => new ArgoCdClient({ ...options, instance }),
    );
    instances.forEach((instance, i) => {
      for (const env of instance.environments) {
        if (!this.environments.has(env)) {
          this.environments.set(env, this.clients[i]);
        }
      }
    });
  }

  /** The named instance, or the first. */
  get(name?: string): ArgoCdClient {
    if (this.clients.length === 0) {
      throw new Error('No Argo CD instance is configured (argocd.instances)');
    }
    if (name === undefined) return this.clients[0];
    const client = this.clients.find(c => c.instance === name);
    if (!client) {
      throw new Error(
        `No Argo CD instance named '${name}' (argocd.instances has ${this.clients
          .map(c => c.instance)
          .join(', ')})`,
      );
    }
    return client;
  }

  /** The instance serving a release environment (beta, prod). */
  forEnvironment(environment: string): ArgoCdClient {
    const client = this.environments.get(environment);
    if (!client) {
      throw new Error(
        `No Argo CD instance serves environment '${environment}' (set argocd.instances[].environments)`,
      );
    }
    return client;
  }

  list(): ArgoCdClient[] {
    return [...this.clients];
  }

  /** Every instance's check, in one report. */
  async check(): Promise<ArgoCdCheckReport> {
    const reports = await Promise.all(this.clients.map(c => c.check()));
    const checks = reports.flatMap(r => r.checks);
    return { system: ARGOCD_SYSTEM, ok: checks.every(c => c.ok), checks };
  }
}
