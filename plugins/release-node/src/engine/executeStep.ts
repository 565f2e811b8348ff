import type { DeployPlanStep } from '@internal/plugin-release-common';
import { runCall } from './calls';
import { failedFrom } from './failures';
import { runGate } from './gates';
import { runGitChange } from './gitChange';
import { runSync } from './sync';
import {
  defaultStepSettings,
  type StepCall,
  type StepContext,
  type StepExecutorOptions,
  type StepOutputs,
  type StepProgress,
} from './types';

/**
 * Runs one deploy plan step as far as the world lets it now, level-triggered: it reads the world
 * before it acts and acts only on the difference, so calling it again, after a crash or an
 * answer lost, never repeats a side effect. Its parts run in order: the git change (or the call),
 * the Argo CD syncs, then the gate. What it must remember is in the returned outputs, which the
 * runner persists and passes back as `ctx.previousOutputs`; it keeps nothing in memory.
 *
 * `done`: go on to the next step. `waiting`: call again after `wakeAfterMs`, or sooner when an
 * Argo CD or cluster event comes. `failed`: `retryable` says whether a later call may succeed by
 * itself; `conflict` asks for the plan to be approved again; `breach` asks for the switch back.
 * Calling with no previous outputs is safe too (a person's Retry): the world says what is done.
 *
 * @public
 */
export async function executeStep(
  step: DeployPlanStep,
  ctx: StepContext,
): Promise<StepProgress> {
  const outputs: StepOutputs = structuredClone(ctx.previousOutputs ?? {});
  const settings = { ...defaultStepSettings, ...ctx.settings };
  const clock = ctx.clock ?? Date;
  const now = () => clock.now();
  try {
    if (step.kind === 'git' && !step.git) {
      throw new Error(`${step.id} is a git step without a git change`);
    }
    if (step.kind === 'call' && !step.call) {
      throw new Error(`${step.id} is a call step without a call`);
    }
    const unfinished =
      (await runGitChange(step, ctx, outputs)) ??
      (await runCall(step, ctx, outputs, settings)) ??
      (await runSync(step, ctx, outputs, settings, now));
    if (unfinished) return unfinished;
    return await runGate({ step, ctx, outputs, settings, now });
  } catch (e) {
    return failedFrom(e, outputs);
  }
}

/**
 * {@link executeStep} with the clients bound once, for a runner that hands only what changes per
 * call: `createStepExecutor(options).executeStep(step, call)`.
 *
 * @public
 */
export function createStepExecutor(options: StepExecutorOptions): {
  executeStep(step: DeployPlanStep, call: StepCall): Promise<StepProgress>;
} {
  const { argocdFor, ...shared } = options;
  return {
    async executeStep(step, call) {
      let argocd;
      try {
        argocd = argocdFor(call.plan.environment);
      } catch (e) {
        return failedFrom(e, structuredClone(call.previousOutputs ?? {}));
      }
      return executeStep(step, { ...shared, ...call, argocd });
    },
  };
}
