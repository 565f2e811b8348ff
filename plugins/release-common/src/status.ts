/*
 * The live status of every app per environment: the answer of the release backend's `GET /status`
 * and the data of each `status` event of `GET /status/stream`.
 */

/** The operation Argo CD runs or last ran on an app. @public */
export interface ReleaseStatusOperation {
  /** Pending, Running, Terminating, Succeeded, Failed or Error. */
  phase: string;
  /** True while it runs (or waits to run). */
  running: boolean;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The Argo CD user who started it, absent for automated syncs. */
  initiatedBy?: string;
}

/** One Argo CD application of an app, as last seen. @public */
export interface ReleaseStatusArgoApp {
  /** The Argo CD application's name, e.g. hybris-blue. */
  name: string;
  /** The Argo CD instance holding it. */
  instance: string;
  /** Where the app opens in the Argo CD UI. */
  url?: string;
  /** Synced, OutOfSync or Unknown. */
  sync: string;
  /** Healthy, Progressing, Degraded, Suspended, Missing or Unknown. */
  health: string;
  healthMessage?: string;
  /** The IaC commit the last sync applied. */
  revision?: string;
  /** The branch Argo CD follows. */
  targetRevision?: string;
  /** Images Argo CD reports running. */
  images: string[];
  operation?: ReleaseStatusOperation;
  /** Argo CD's conditions (e.g. ComparisonError), as `Type: message`. */
  conditions?: string[];
}

/** A value at a time: `t` in epoch seconds. @public */
export interface ReleaseStatusPoint {
  t: number;
  v: number;
}

/** One colour of hybris (blue/green). @public */
export interface ReleaseStatusColour {
  colour: string;
  /** The Argo CD application that deploys this colour. */
  argocdApp: string;
  /** Traffic goes to this colour (the switch app's values name it). */
  live: boolean;
  /** The image tag the colour runs. */
  version?: string;
  replicas: {
    /** Pods that are ready. */
    ready: number;
    /** Pods that exist (ready or not). */
    pods: number;
    /** replicaCount of the colour's values at the revision Argo CD synced; absent when unknown. */
    desired?: number;
  };
  /** The JGroups view of the colour's nodes (hybris `cluster/status`). */
  cluster?: {
    /** False when no node answers (an idle colour). */
    up: boolean;
    viewSize: number;
    expectedNodes?: number;
    complete: boolean;
    /** Nodes that exist but are not in the view. */
    missing: string[];
  };
  /** The error rate over the last minutes (a few points), for a small plot. */
  errorRate?: ReleaseStatusPoint[];
  /** The gate's limit for the error rate, to draw beside the plot. */
  errorRateMax?: number;
}

/** What runs of one app in one environment. @public */
export interface ReleaseStatusApp {
  /** hybris, cms or web. */
  app: string;
  /** The version that serves users: hybris' live colour's, else the first Argo CD app's. */
  version?: string;
  /** Every distinct version the app's Argo CD apps run (more than one: they differ). */
  versions: string[];
  /** The worst sync status of the app's Argo CD apps. */
  sync: string;
  /** The worst health of the app's Argo CD apps. */
  health: string;
  argocd: ReleaseStatusArgoApp[];
  /** hybris: the colour traffic goes to, when the switch keys agree. */
  liveColour?: string;
  /** hybris: both colours. */
  colours?: ReleaseStatusColour[];
  /** What could not be read for this row and what to do about it; the rest of the row still shows. */
  errors?: string[];
}

/** @public */
export interface ReleaseStatusEnvironment {
  name: string;
  apps: ReleaseStatusApp[];
}

/** `GET /status`, and each `status` event of `GET /status/stream`. @public */
export interface ReleaseStatus {
  /** When anything in it last changed. */
  updatedAt: string;
  environments: ReleaseStatusEnvironment[];
  /** Problems not tied to one row, e.g. Argo CD's watch stream reconnecting. */
  errors?: string[];
}
