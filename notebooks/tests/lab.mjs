// Shared machinery of the browser tests (browser.mjs, widgets.mjs,
// debugger.mjs): a JupyterLab 4 of their own on loopback, Debian's headless
// Chromium driven by playwright-core, and the test's pass/fail ending. Each
// test keeps only what it checks; how JupyterLab is started, waited for and
// torn down is written once here, so a fix (a flag JupyterLab needs, a
// process left behind) reaches all three.
//
// A test reads:
//
//   const lab = await startLab('gokernel-x-', work => writeNotebook(join(work, 'x.ipynb'), sources));
//   await runLabTest({ label: 'x browser test', lab, viewport }, async (page, fail) => {
//     await openNotebook(page, lab, 'x.ipynb');
//     ... fail('what is wrong') for a check that fails ...
//   });
//
// Needs `jupyter` (from .ci/setup's virtualenv) on PATH and the gokernel
// kernelspec in $JUPYTER_DATA_DIR (.ci/test installs both).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));

// artifactsDir returns (and creates) the directory the screenshots go to:
// $GOKERNEL_ARTIFACTS/browser, where CI collects them, or .ci/artifacts/browser
// when the test is run by hand.
export function artifactsDir() {
  const dir = join(process.env.GOKERNEL_ARTIFACTS || join(here, '..', '..', '.ci', 'artifacts'), 'browser');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// screenshot saves what the page shows as name (e.g. 'lesson.png') in artifactsDir().
export function screenshot(page, name) {
  return page.screenshot({ path: join(artifactsDir(), name) });
}

// waitFor polls fn until it returns something truthy and returns that. The
// timeout is a guard against a hang, not a measure of speed; the error names
// what was awaited and the last exception fn threw, so a CI log says which
// step stalled.
export async function waitFor(what, fn, timeoutMs, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// notebook returns an nbformat 4.5 notebook of code cells with the given
// sources, on the kernel under test ($GOKERNEL_KERNEL_NAME, as .ci/test
// installs it). Tests write their own notebooks so the lessons stay untouched.
export function notebook(sources) {
  return {
    cells: sources.map((source, i) => ({
      cell_type: 'code', execution_count: null, id: `c-${i + 1}`, metadata: {}, outputs: [], source,
    })),
    metadata: {
      kernelspec: { display_name: 'Go (gokernel)', language: 'go', name: process.env.GOKERNEL_KERNEL_NAME || 'gokernel' },
      language_info: { name: 'go' },
    },
    nbformat: 4, nbformat_minor: 5,
  };
}

// writeNotebook writes notebook(sources) to path.
export function writeNotebook(path, sources) {
  writeFileSync(path, JSON.stringify(notebook(sources)));
}

// startLab starts JupyterLab in a throwaway directory made with prefix.
// fill(work) puts the notebooks there and may return the directory to serve
// (work itself by default). JupyterLab listens on a free loopback port with a
// random token, so parallel runs and other users of the machine can neither
// collide with nor reach it. It runs in a process group of its own, so
// stop() ends its kernels too. Call lab.listening() before using it.
export async function startLab(prefix, fill) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const root = fill(work) || work;
  // A settings dir of our own: JupyterLab's first-run question about news
  // would sit over the notebook in every screenshot; answer it with no.
  const settings = join(work, 'settings');
  const workspaces = join(work, 'workspaces');
  mkdirSync(workspaces, { recursive: true });
  mkdirSync(join(settings, '@jupyterlab', 'apputils-extension'), { recursive: true });
  writeFileSync(join(settings, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'),
    JSON.stringify({ fetchNews: 'false' }));
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  // expose_app_in_browser gives the tests window.jupyterapp, to run
  // commands and read the notebook model instead of scraping the page.
  const proc = spawn('jupyter', ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
    `--IdentityProvider.token=${token}`, '--allow-root', '--ServerApp.root_dir=' + root,
    '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True',
    '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
    // Workspaces of our own too: JupyterLab restores the last layout from
    // its workspace, and a shared one reopens the previous test's notebook.
    '--LabApp.user_settings_dir=' + settings, '--LabApp.workspaces_dir=' + workspaces],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Lab(proc, work, root, `http://127.0.0.1:${port}`, token);
}

class Lab {
  constructor(proc, work, root, base, token) {
    Object.assign(this, { proc, work, root, base, token });
    this.log = '';
    this.exited = null;
    this.browser = null;
    // The pages' uncaught exceptions, for a test to print: they do not fail
    // it, as JupyterLab's own extensions throw some now and then.
    this.pageErrors = [];
    proc.on('exit', code => { this.exited = code; });
    proc.stdout.on('data', d => { this.log += d; });
    proc.stderr.on('data', d => { this.log += d; });
  }

  // listening waits until the server answers, failing at once if it exited.
  listening() {
    return waitFor('JupyterLab to listen', async () => {
      if (this.exited !== null) throw new Error(`jupyter lab exited with status ${this.exited}`);
      return (await fetch(`${this.base}/api/status?token=${this.token}`)).ok;
    }, 60000);
  }

  // treeURL is the address that opens path (relative to the served root).
  treeURL(path) {
    return `${this.base}/lab/tree/${path}?token=${this.token}`;
  }

  // newPage opens a page in Chromium, launching it on first use; stop()
  // closes it. The page's uncaught exceptions go to pageErrors.
  async newPage(viewport) {
    if (!this.browser) {
      this.browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    }
    const page = await this.browser.newPage({ viewport });
    page.on('pageerror', e => this.pageErrors.push(String(e)));
    return page;
  }

  // logTail is the end of JupyterLab's log, printed when a test fails.
  logTail() {
    return '--- jupyter lab log (tail) ---\n' + this.log.split('\n').slice(-40).join('\n');
  }

  // stop closes Chromium, ends JupyterLab's process group (the server and
  // the kernels it started: politely, then for sure) and removes the
  // throwaway directory.
  async stop() {
    if (this.browser) await this.browser.close();
    try { process.kill(-this.proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    await new Promise(r => setTimeout(r, 1000));
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
    rmSync(this.work, { recursive: true, force: true });
  }
}

// openNotebook opens path and waits until its kernel is up and idle. With
// kernelDisplayName, the kernel's display name must also contain it (the
// notebook is on our kernel, not a fallback).
export async function openNotebook(page, lab, path, { kernelDisplayName } = {}) {
  await page.goto(lab.treeURL(path));
  await waitFor('the notebook and its kernel', () => page.evaluate(want => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k && k.status === 'idle' && (!want || w.sessionContext.kernelDisplayName.includes(want));
  }, kernelDisplayName), 90000);
}

// labCommand runs one of JupyterLab's commands (as a menu item or key would)
// and waits for the command's promise.
export function labCommand(page, id) {
  return page.evaluate(id => window.jupyterapp.commands.execute(id), id);
}

// runCell makes cell index (0-based) the active cell and runs it. It does
// not wait for the cell to finish (one stopped at a breakpoint would not):
// the caller waits for what it expects to see.
export function runCell(page, index) {
  return page.evaluate(index => {
    const w = window.jupyterapp.shell.currentWidget;
    w.content.activeCellIndex = index;
    void window.jupyterapp.commands.execute('notebook:run-cell');
  }, index);
}

// runLabTest runs one browser test against lab and exits the process:
// it waits for JupyterLab, opens a page of the given viewport and calls
// body(page, fail). fail(...msg) prints msg and marks the test failed while
// letting body go on to its other checks; an exception ends body, and then
// onError(page) may print more before JupyterLab's log is shown. Whatever
// happens, lab is stopped, and the last line is the pass/fail count that
// .ci/test's log shows; the exit status is 1 on failure.
export async function runLabTest({ label, lab, viewport, onError }, body) {
  let failed = false;
  const fail = (...msg) => { failed = true; console.error(...msg); };
  let page;
  try {
    await lab.listening();
    page = await lab.newPage(viewport);
    await body(page, fail);
  } catch (e) {
    failed = true;
    console.error(`${label} failed:`, e.message);
    if (onError && page) await onError(page);
    console.error(lab.logTail());
  } finally {
    await lab.stop();
  }
  console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exit(failed ? 1 : 0);
}
