import { z } from 'zod';
import { releaseAppSchema } from './model';

/*
 * A deploy plan, defined once: the engine computes and stores it, the release page shows it, and
 * openapi.yaml's plan schemas are generated from these.
 */

/**
 * How a deploy step changes the world: `git` is a commit to the IaC repository, undone by a revert
 * commit; `call` is a direct call to a system (cut a branch, merge, post a message) that nothing
 * undoes; `wait` changes nothing and waits for a person.
 *
 * @public
 */
export const deployStepKindSchema = z.enum(['git', 'call', 'wait']);

/** @public */
export type DeployStepKind = z.infer<typeof deployStepKindSchema>;

/** A plain values key's value, as YAML holds it. @public */
export const deployValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** @public */
export type DeployValue = z.infer<typeof deployValueSchema>;

/** One values key a git step changes, and what it held before, so a reverse plan can put it back. @public */
export const deployKeyChangeSchema = z.object({
  argocdApp: z.string(),
  file: z.string().describe('Values file in the IaC repository'),
  key: z.string().describe('Dotted key, e.g. replicaCount'),
  from: deployValueSchema,
  to: deployValueSchema,
});

/** @public */
export type DeployKeyChange = z.infer<typeof deployKeyChangeSchema>;

/**
 * A values key someone else's commit changed under a run's remaining steps, or other lines of a
 * file they write (no key).
 *
 * @public
 */
export const deployPlanChangeSchema = z.object({
  file: z.string().describe('Values file in the IaC repository'),
  key: z
    .string()
    .optional()
    .describe('Absent when lines the portal does not manage changed'),
  planned: deployValueSchema
    .optional()
    .describe('What the plan was made from; absent when the key was not there'),
  now: deployValueSchema
    .optional()
    .describe('What the branch holds now; absent when the key is gone'),
});

/** @public */
export type DeployPlanChange = z.infer<typeof deployPlanChangeSchema>;

/** What a git step commits. @public */
export const deployGitChangeSchema = z.object({
  message: z
    .string()
    .describe(
      'Subject, the release announcement, then Release-Id and Release-Step trailers',
    ),
  changes: z.array(deployKeyChangeSchema),
  before: z
    .record(z.string())
    .describe(
      'Values file → git blob id the file must have when the step commits (compare-and-swap)',
    ),
  files: z
    .record(z.string())
    .describe('Values file → its whole text after the step'),
  diff: z
    .string()
    .describe(
      'Unified diff of every file, as git prints it; empty when the files already hold the values',
    ),
});

/** @public */
export type DeployGitChange = z.infer<typeof deployGitChangeSchema>;

/** What a call step asks of a system. @public */
export const deployCallSchema = z.object({
  system: z.enum(['gitlab', 'slack', 'jenkins', 'tests']),
  operation: z.enum([
    'create-branch',
    'open-merge-request',
    'merge',
    'announce',
    'build',
    'payment-tests',
    'post-deploy-tests',
  ]),
  target: z
    .record(z.string())
    .describe(
      "What the call acts on (project, branches, commit); part of the plan's fingerprint",
    ),
  message: z
    .string()
    .optional()
    .describe('Merge request title and description, or the message posted'),
});

/** @public */
export type DeployCall = z.infer<typeof deployCallSchema>;

/** One post-deploy test: a Jenkins job run with the environment, or an HTTP check of a URL. @public */
export const deployTestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('jenkins'),
    name: z.string(),
    job: z.string(),
  }),
  z.object({
    kind: z.literal('http'),
    name: z.string(),
    url: z.string(),
    expectStatus: z.number().int(),
  }),
]);

/** @public */
export type DeployTest = z.infer<typeof deployTestSchema>;

/** One check of a gate: a reading and the bounds it must keep. @public */
export const deployGateCheckSchema = z.object({
  name: z
    .string()
    .describe(
      "pods-ready, cluster-status (JGroups view), or a metric's name from the layout",
    ),
  min: z.number().optional(),
  max: z.number().optional(),
  query: z
    .string()
    .optional()
    .describe('PromQL with $environment and $colour filled in, for a metric'),
});

/** @public */
export type DeployGateCheck = z.infer<typeof deployGateCheckSchema>;

/**
 * What must hold before the next step starts: nothing; every Argo CD app synced and Healthy; hybris
 * on one colour (pods ready, JGroups view equal to the replicas, metrics steady for the soak); the
 * metrics watched after the switch (a breach switches back at once and pauses); the merge
 * request's pipeline; a version's own pipeline; people's approval at a stage; a person's audited
 * acknowledgement.
 *
 * @public
 */
export const deployGateSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('healthy'), argocdApps: z.array(z.string()) }),
  z.object({
    type: z.literal('hybris'),
    colour: z.string(),
    expectedNodes: z.number(),
    soakMs: z.number(),
    checks: z.array(deployGateCheckSchema),
  }),
  z.object({
    type: z.literal('watch'),
    colour: z.string(),
    windowMs: z.number(),
    checks: z.array(deployGateCheckSchema),
    onBreach: z.literal('switch-back'),
  }),
  z.object({
    type: z.literal('pipeline'),
    project: z.string(),
    sourceBranch: z.string(),
  }),
  z.object({
    type: z.literal('commit-pipeline'),
    project: z.string(),
    ref: z.string().describe('The version: a commit or a tag'),
  }),
  z.object({
    type: z.literal('approval'),
    stage: z.literal('signoff'),
    roles: z.array(z.string()),
  }),
  z.object({
    type: z.literal('acknowledgement'),
    subject: z.literal('db-schema'),
  }),
]);

/** @public */
export type DeployGate = z.infer<typeof deployGateSchema>;

/** The part of blue/green a hybris step touches: the colour it deploys to, the one it replaces, or the switch. @public */
export const deployColourRoleSchema = z.enum(['new', 'old', 'switch']);

/** @public */
export type DeployColourRole = z.infer<typeof deployColourRoleSchema>;

/** One step of a deploy plan, in the order it runs. @public */
export const deployPlanStepSchema = z.object({
  id: z
    .string()
    .describe('Stable across plans of one release, e.g. hybris.scale-up.6'),
  kind: deployStepKindSchema,
  app: releaseAppSchema
    .optional()
    .describe(
      'Absent for the steps of the whole release (sign-off, announcement)',
    ),
  phase: z
    .enum([
      'deploying',
      'verifying',
      'awaiting_signoff',
      'switching',
      'announced',
      'scaling_down',
    ])
    .describe("The release's state while the step runs"),
  title: z.string(),
  git: deployGitChangeSchema.optional(),
  call: deployCallSchema.optional(),
  sync: z
    .array(z.string())
    .describe("Argo CD apps synced after the step's commit, in order"),
  gate: deployGateSchema,
  tests: z
    .array(deployTestSchema)
    .optional()
    .describe('The post-deploy tests a tests call runs'),
  expectedMs: z
    .number()
    .optional()
    .describe(
      'How long the step takes with its gate; absent where a person decides',
    ),
  hybris: z
    .object({
      colour: z.string(),
      role: deployColourRoleSchema,
      replicas: z.number().optional(),
    })
    .optional()
    .describe(
      'The colour the step touches, its part in blue/green and the replicas it leaves',
    ),
});

/** @public */
export type DeployPlanStep = z.infer<typeof deployPlanStepSchema>;

/**
 * An image tag a plan writes before it is known: its build step builds the version, and the run
 * writes the tag that build pushed wherever the plan shows the placeholder.
 *
 * @public
 */
export const deployBuiltImageSchema = z.object({
  placeholder: z
    .string()
    .describe("What the steps' values, files and diffs hold until the build"),
  step: z.string().describe('The build step whose image tag it stands for'),
  app: releaseAppSchema,
  version: z.string().describe('The version that build step builds'),
  tag: z
    .string()
    .optional()
    .describe('The tag the build pushed, once the run has it'),
});

/** @public */
export type DeployBuiltImage = z.infer<typeof deployBuiltImageSchema>;

/** Everything a deploy will do, computed before it runs and approved by its fingerprint. @public */
export const deployPlanSchema = z.object({
  releaseId: z.string(),
  environment: z.string(),
  iac: z
    .object({ project: z.string(), branch: z.string(), baseSha: z.string() })
    .describe('The IaC branch and the commit the plan was computed from'),
  hybris: z
    .object({ live: z.string(), idle: z.string() })
    .optional()
    .describe(
      'The live colour as IaC and Argo CD read it (they agree), and the idle colour deployed to',
    ),
  steps: z.array(deployPlanStepSchema),
  builtImages: z
    .array(deployBuiltImageSchema)
    .optional()
    .describe(
      'Image tags that come from a build step of the plan, shown as placeholders until it has run',
    ),
  expectedMs: z
    .number()
    .describe("Sum of the steps' expected times, without the waits for people"),
  fingerprint: z
    .string()
    .describe(
      'sha256 over the base commit and what every step writes, merges and syncs',
    ),
  notes: z
    .array(z.string())
    .describe(
      'What the plan leaves out and why, e.g. scale-up steps the idle colour is already past',
    ),
});

/** @public */
export type DeployPlan = z.infer<typeof deployPlanSchema>;
