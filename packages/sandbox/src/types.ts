import type express from 'express';
import type { FaultInjector } from './faults';

/** What every stand-in shares: where its state lives and the faults to play. */
export interface SandboxContext {
  dataDir: string;
  faults: FaultInjector;
  /** Scales simulated durations (pods starting, pipelines running); 0 = instant. */
  timeScale: number;
}

/** One stand-in system, mounted under its own prefix (e.g. /argocd, /gitlab). */
export interface SandboxService {
  name: string;
  prefix: string;
  router: express.Router;
  /** Rows for the sandbox's own page: what this system holds now. */
  describe?(): Promise<Array<Record<string, string | number>>>;
  close?(): Promise<void>;
}

export interface SandboxOptions {
  port?: number;
  dataDir?: string;
  timeScale?: number;
  services?: Array<
    (ctx: SandboxContext) => Promise<SandboxService> | SandboxService
  >;
}

export interface RunningSandbox {
  url: string;
  context: SandboxContext;
  services: SandboxService[];
  close(): Promise<void>;
}
