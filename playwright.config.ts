import { resolve } from 'node:path';
import { defineConfig, devices } from '@playwright/test';

// Debian's Chromium: no browser download is possible here, and these flags keep it off the network.
const chromium = {
  ...devices['Desktop Chrome'],
  channel: undefined,
  launchOptions: {
    executablePath: process.env.KOP_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-gpu',
      '--no-first-run',
    ],
  },
};

// The local layer (the sandbox, the demo sign-in), then the tests' own port and database.
const config = [
  'app-config.yaml',
  'app-config.local.yaml',
  'app-config.e2e.yaml',
].flatMap(file => ['--config', resolve(__dirname, file)]);

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report' }],
  ],
  outputDir: 'e2e-artifacts/results',
  use: {
    baseURL: 'http://localhost:7107',
    screenshot: 'on',
    trace: 'retain-on-failure',
  },
  webServer: [
    // The sandbox app-config.local.yaml points at (GitLab, Argo CD, Jenkins, Asana, Slack), seeded fresh each run.
    {
      command:
        'KOP_SANDBOX_PORT=7100 KOP_SANDBOX_TIME_SCALE=0.05 KOP_SANDBOX_DIR="$(mktemp -d -t kop-e2e-sandbox-XXXXXX)" yarn workspace sandbox start',
      url: 'http://127.0.0.1:7100/_sandbox/health',
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'ignore',
    },
    // The production build, served by the backend as in production.
    {
      command: `yarn workspace app build && yarn backstage-cli repo start ${config.join(
        ' ',
      )} backend`,
      url: 'http://localhost:7107/api/release/health',
      reuseExistingServer: !process.env.CI,
      timeout: 300_000,
      stdout: 'ignore',
    },
  ],
  projects: [{ name: 'chromium', use: chromium }],
});
