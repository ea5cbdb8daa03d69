// What the console's browser tests share: the real `golden serve` (debug build) on a free port
// over a fresh SQLite data dir, headless Chromium on a fresh profile, tokens from `golden token`,
// and on failure a screenshot and the server log's last lines. Everything is removed afterwards.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const shots = join(root, 'target', 'e2e');
const binary = process.env.GOLDEN_BIN || join(root, 'target', 'debug', 'golden');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export async function until(what, probe, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Runs `scenario({ base, token, page, shot, consoleErrors })` against a fresh server and
 * browser. `name` prefixes the temporary directories and the failure screenshot; `shotPrefix`
 * the scenario's screenshots. Sets a failing exit code rather than throwing.
 */
export async function withConsole({ name, shotPrefix = '', viewport, timeout }, scenario) {
  mkdirSync(shots, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `golden-e2e-${name}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, GOLDEN_DATA_DIR: join(work, 'data'), GOLDEN_BIND: `127.0.0.1:${port}`,
    GOLDEN_RULES_DIR: join(root, 'matching-rules'), RUST_LOG: 'warn' };
  delete env.DATABASE_URL;
  delete env.GOLDEN_JWT_SECRET;
  const server = spawn(binary, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.on('data', (chunk) => { serverLog = (serverLog + chunk).slice(-20000); });
  const profile = mkdtempSync(join(tmpdir(), `golden-e2e-${name}-profile-`));
  let context;
  let page;
  try {
    await until('the server', async () => (await fetch(`${base}/healthz`)).ok);
    const token = (...args) => execFileSync(binary, ['token', ...args], { env }).toString().trim();
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(timeout);
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const shot = (shotName) => page.screenshot({ path: join(shots, `${shotPrefix}${shotName}.png`), fullPage: true });
    await scenario({ base, token, page, shot, consoleErrors });
    console.log(`${name} e2e passed; screenshots in ${shots}`);
  } catch (e) {
    process.exitCode = 1;
    console.error(e);
    if (page) await page.screenshot({ path: join(shots, `${shotPrefix}failure.png`), fullPage: true }).catch(() => {});
    console.error(`--- server log (last lines) ---\n${serverLog}`);
  } finally {
    if (context) await context.close().catch(() => {});
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}
