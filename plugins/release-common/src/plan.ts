import type { ReleaseApp } from './apps';
import type { ReleaseState } from './states';

/**
 * How a deploy step changes the world: `git` is a commit to the IaC repository, undone by a revert
 * commit; `call` is a direct call to a system (cut a branch, merge, post a message) that nothing
 * undoes; `wait` changes nothing and waits for a person.
 *
 * @public
 */
export type DeployStepKind = 'git' | 'call' | 'wait';

/** A plain values key's value, as YAML holds it. @public */
export type DeployValue = string | number | boolean;

/** One values key a git step changes, and what it held before, so a reverse plan can put it back. @public */
export interface DeployKeyChange {
  argocdApp: string;
  /** Values file in the IaC repository. */
  file: string;
  /** Dotted key, e.g. replicaCount. */
  key: string;
  from: DeployValue;
  to: DeployValue;
}

/** What a git step commits. @public */
export interface DeployGitChange {
  /** Subject, the release's announcement, then `Release-Id` and `Release-Step` trailers. */
  message: string;
  changes: DeployKeyChange[];
  /** Values file → git blob id the file must have when the step commits (compare-and-swap). */
  before: Record<string, string>;
  /** Values file → its whole text after the step. */
  files: Record<string, string>;
  /** Unified diff of every file, as git prints it; empty when the files already hold the values. */
  diff: string;
}

/** What a call step asks of a system. @public */
export interface DeployCall {
  system: 'gitlab' | 'slack';
  operation: 'create-branch' | 'open-merge-request' | 'merge' | 'announce';
  /** What the call acts on (project, branches, commit); part of the plan's fingerprint. */
  target: Record<string, string>;
  /** Merge request title and description, or the message posted. */
  message?: string;
}

/** One check of a gate: a reading and the bounds it must keep. @public */
export interface DeployGateCheck {
  /** `pods-ready`, `cluster-status` (JGroups view), or a metric's name from the layout. */
  name: string;
  min?: number;
  max?: number;
  /** PromQL with `$environment` and `$colour` filled in, for a metric. */
  query?: string;
}

/**
 * What must hold before the next step starts.
 *
 * @public
 */
export type DeployGate =
  | { type: 'none' }
  /** Every Argo CD app synced to the step's commit and Healthy. */
  | { type: 'healthy'; argocdApps: string[] }
  /** hybris on one colour: pods ready, JGroups view equal to the replicas, metrics steady for the soak. */
  | {
      type: 'hybris';
      colour: string;
      expectedNodes: number;
      soakMs: number;
      checks: DeployGateCheck[];
    }
  /** After the switch: the metrics watched for a window; a breach switches back at once and pauses. */
  | {
      type: 'watch';
      colour: string;
      windowMs: number;
      checks: DeployGateCheck[];
      onBreach: 'switch-back';
    }
  /** The merge request's pipeline succeeded. */
  | { type: 'pipeline'; project: string; sourceBranch: string }
  /** People of these roles approve at this stage (not the author). */
  | { type: 'approval'; stage: 'signoff'; roles: string[] }
  /** A person confirms, audited, that the running version tolerates the new database schema. */
  | { type: 'acknowledgement'; subject: 'db-schema' };

/** The part of blue/green a hybris step touches: the colour it deploys to, the one it replaces, or the switch. @public */
export type DeployColourRole = 'new' | 'old' | 'switch';

/** One step of a deploy plan, in the order it runs. @public */
export interface DeployPlanStep {
  /** Stable across plans of one release, e.g. `hybris.scale-up.6`. */
  id: string;
  kind: DeployStepKind;
  /** Absent for the steps of the whole release (sign-off, announcement). */
  app?: ReleaseApp;
  /** The release's state while the step runs. */
  phase: Extract<
    ReleaseState,
    | 'deploying'
    | 'awaiting_signoff'
    | 'switching'
    | 'announced'
    | 'scaling_down'
  >;
  title: string;
  git?: DeployGitChange;
  call?: DeployCall;
  /** Argo CD apps synced after the step's commit, in order. */
  sync: string[];
  gate: DeployGate;
  /** How long the step takes with its gate, in ms; absent where a person decides. */
  expectedMs?: number;
  /** hybris: the colour the step touches and its part in blue/green; replicas it leaves there. */
  hybris?: { colour: string; role: DeployColourRole; replicas?: number };
}

/** Everything a deploy will do, computed before it runs and approved by its fingerprint. @public */
export interface DeployPlan {
  releaseId: string;
  environment: string;
  /** The IaC branch and the commit the plan was computed from. */
  iac: { project: string; branch: string; baseSha: string };
  /** The live colour as IaC and Argo CD read it (they agree), and the idle colour deployed to. */
  hybris?: { live: string; idle: string };
  steps: DeployPlanStep[];
  /** Sum of the steps' expected times, without the waits for people. */
  expectedMs: number;
  /** sha256 over the base commit and what every step writes, merges and syncs. */
  fingerprint: string;
  /** What the plan leaves out and why, e.g. scale-up steps the idle colour is already past. */
  notes: string[];
}
