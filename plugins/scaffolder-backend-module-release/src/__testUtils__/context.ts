import { mockServices } from '@backstage/backend-test-utils';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Checkpoints as the scaffolder keeps them for a task: a key that succeeded once gives back its
 * stored (JSON) value on a rerun instead of running again; a failed one runs again.
 */
export class CheckpointStore {
  readonly values = new Map<string, Json>();
  /** Keys whose function actually ran, in order. */
  readonly ran: string[] = [];

  checkpoint = async <T>(opts: { key: string; fn: () => Promise<T> | T }) => {
    if (this.values.has(opts.key)) return this.values.get(opts.key) as T;
    this.ran.push(opts.key);
    const value = await opts.fn();
    this.values.set(opts.key, JSON.parse(JSON.stringify(value ?? {})));
    return value;
  };
}

/**
 * `createMockActionContext` with what it lacks: dry run, scaffolder-like checkpoints (shared between
 * runs to model a retried task) and the initiating user's profile.
 */
export function actionContext<TInput extends Record<string, any>>(
  input: TInput,
  options: {
    dryRun?: boolean;
    checkpoints?: CheckpointStore;
    taskId?: string;
    /** The template step that runs the action (default `step`). */
    stepId?: string;
    signal?: AbortSignal;
    user?: { name: string; email: string };
  } = {},
): ActionContext<TInput, any> {
  const base = createMockActionContext({
    input,
    logger: mockServices.logger.mock(),
    task: { id: options.taskId ?? 'task-0001' },
    user: options.user
      ? {
          ref: `user:default/${options.user.email.split('@')[0]}`,
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'User',
            metadata: { name: options.user.email.split('@')[0] },
            spec: {
              profile: {
                displayName: options.user.name,
                email: options.user.email,
              },
            },
          },
        }
      : undefined,
  });
  const checkpoints = options.checkpoints ?? new CheckpointStore();
  return Object.assign(base, {
    isDryRun: options.dryRun ?? false,
    checkpoint: checkpoints.checkpoint,
    signal: options.signal,
    step: { id: options.stepId ?? 'step' },
  }) as unknown as ActionContext<TInput, any>;
}

/** Every output the action set, by name. */
export function outputsOf(ctx: { output: unknown }): Record<string, any> {
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}
