import {
  coreServices,
  createBackendFeatureLoader,
  type RootConfigService,
  type RootLoggerService,
} from '@backstage/backend-plugin-api';
import type { createBackend } from '@backstage/backend-defaults';
import { toError } from '@backstage/errors';

type Backend = ReturnType<typeof createBackend>;

/** Past this after SIGTERM the process exits anyway (Kubernetes' default grace is 30 s). */
export const STOP_CEILING_MS = 9_000;
/** How long a backend that failed to start may take to stop what did start. */
const FAILED_START_STOP_MS = 5_000;

/** A check of the loaded config that throws, naming what is wrong, before anything starts. */
export type ConfigCheck = (
  config: RootConfigService,
  logger: RootLoggerService,
) => void;

/**
 * Adds a feature that hands over the root logger, so a failed start is logged with the same
 * redaction of config secrets as everything else (console when the config itself did not load),
 * and runs `check` before any plugin starts; a failed check is the reason kept for the log.
 */
function captureRootLogger(
  backend: Backend,
  check: ConfigCheck | undefined,
  onCheckFailed: (error: Error) => void,
): () => Pick<RootLoggerService, 'error'> {
  let logger: RootLoggerService | undefined;
  backend.add(
    createBackendFeatureLoader({
      deps: {
        rootLogger: coreServices.rootLogger,
        config: coreServices.rootConfig,
      },
      loader({ rootLogger, config }) {
        logger = rootLogger;
        try {
          check?.(config, rootLogger);
        } catch (error) {
          onCheckFailed(toError(error));
          throw error;
        }
        return [];
      },
    }),
  );
  return () =>
    logger ?? {
      error: (message: string, error?: unknown) =>
        // eslint-disable-next-line no-console
        console.error(message, error instanceof Error ? error.message : ''),
    };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | void> {
  return Promise.race([
    promise,
    new Promise<void>(resolve => setTimeout(resolve, ms).unref()),
  ]);
}

/**
 * Starts the backend. Backstage's own start leaves a process that failed to start serving 503s
 * with an unhandled rejection; here it logs why, stops what did start and exits 1, so a
 * supervisor restarts it and shows the reason; `check` runs on the loaded config before any
 * plugin starts. After SIGTERM or SIGINT, Backstage stops the plugins and exits; a stop that hangs
 * past ceilingMs exits 1 (the engine's leases hand the runs it held to another replica).
 */
export function startOrExit(
  backend: Backend,
  options: { ceilingMs?: number; check?: ConfigCheck } = {},
): Promise<void> {
  // The check's own error, not the loader's wrapping of it, is what the operator needs to read.
  let checkError: Error | undefined;
  const loggerOf = captureRootLogger(backend, options.check, error => {
    checkError = error;
  });
  const ceilingMs = options.ceilingMs ?? STOP_CEILING_MS;
  const ceiling = (signal: string) => {
    setTimeout(() => {
      loggerOf().error(
        `Backend did not stop within ${ceilingMs} ms of ${signal}; exiting`,
      );
      process.exit(1);
    }, ceilingMs).unref();
  };
  process.once('SIGTERM', () => ceiling('SIGTERM'));
  process.once('SIGINT', () => ceiling('SIGINT'));
  return backend.start().then(
    () => undefined,
    async (error: unknown) => {
      loggerOf().error(
        'Backend failed to start; exiting',
        checkError ?? toError(error),
      );
      await within(
        backend.stop().catch(() => undefined),
        FAILED_START_STOP_MS,
      );
      process.exit(1);
    },
  );
}
