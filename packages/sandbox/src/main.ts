import { defaultSandboxServices } from './defaultServices';
import { startSandbox } from './server';

// Started by ./kop start beside the portal, at a fixed port that app-config.local.yaml points at.
const port = Number(process.env.KOP_SANDBOX_PORT ?? 7100);

// End-to-end tests run the sandbox's clock faster (0.05: a hybris pod starts in 2 s, not 40 s).
const timeScale = process.env.KOP_SANDBOX_TIME_SCALE
  ? Number(process.env.KOP_SANDBOX_TIME_SCALE)
  : undefined;
if (timeScale !== undefined && !(timeScale >= 0)) {
  process.stderr.write(
    `KOP_SANDBOX_TIME_SCALE must be a number of 0 or more, got ${process.env.KOP_SANDBOX_TIME_SCALE}\n`,
  );
  process.exit(1);
}

startSandbox({
  port,
  dataDir: process.env.KOP_SANDBOX_DIR,
  timeScale,
  services: defaultSandboxServices(),
}).then(
  sandbox => {
    process.stdout.write(
      `kop sandbox on ${sandbox.url} (state in ${sandbox.context.dataDir})\n`,
    );
    const stop = () => sandbox.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  error => {
    process.stderr.write(`kop sandbox failed to start: ${error.message}\n`);
    process.exit(1);
  },
);
