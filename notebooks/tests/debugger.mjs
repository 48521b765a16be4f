// Browser test of the debugger: JupyterLab 4 in Debian's headless Chromium,
// driven by playwright-core. It opens a two-cell notebook, turns the
// debugger on with the notebook toolbar's bug button, sets a breakpoint by
// clicking the gutter of line 3 of the cell that defines f, runs the cell
// that calls f, and checks that the Callstack panel shows f and the
// Variables panel shows f's variables; then Continue lets the cell finish.
// Saves a screenshot in $GOKERNEL_ARTIFACTS/browser/debugger.png.
//
//   node notebooks/tests/debugger.mjs
//
// Needs `jupyter` on PATH and the gokernel kernelspec in $JUPYTER_DATA_DIR,
// as browser.mjs.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(process.env.GOKERNEL_ARTIFACTS || join(here, '..', '..', '.ci', 'artifacts'), 'browser');
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function waitFor(what, fn, timeoutMs, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

const work = mkdtempSync(join(tmpdir(), 'gokernel-dbg-'));
const cell = (src) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: src });
writeFileSync(join(work, 'debug.ipynb'), JSON.stringify({
  nbformat: 4, nbformat_minor: 5,
  metadata: { kernelspec: { name: process.env.GOKERNEL_KERNEL_NAME || 'gokernel', display_name: 'Go', language: 'go' } },
  cells: [cell('func f(n int) int {\n\tx := n * 2\n\tx++\n\treturn x\n}'), cell('f(20)')],
}));
const settings = join(work, 'settings');
mkdirSync(join(settings, '@jupyterlab', 'apputils-extension'), { recursive: true });
writeFileSync(join(settings, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'),
  JSON.stringify({ fetchNews: 'false' }));
const port = await freePort();
const token = randomBytes(16).toString('hex');
const lab = spawn('jupyter', ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
  `--IdentityProvider.token=${token}`, '--allow-root', '--ServerApp.root_dir=' + work,
  '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True',
  '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  '--LabApp.user_settings_dir=' + settings],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let labLog = '';
let labExited = null;
lab.on('exit', code => { labExited = code; });
lab.stdout.on('data', d => { labLog += d; });
lab.stderr.on('data', d => { labLog += d; });

let browser;
let failed = false;
try {
  const base = `http://127.0.0.1:${port}`;
  await waitFor('JupyterLab to listen', async () => {
    if (labExited !== null) throw new Error(`jupyter lab exited with status ${labExited}`);
    return (await fetch(`${base}/api/status?token=${token}`)).ok;
  }, 60000);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}/lab/tree/debug.ipynb?token=${token}`);
  await waitFor('the notebook and its kernel', () => page.evaluate(() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k && k.status === 'idle';
  }), 90000);

  // The bug button appears once the kernel said debugger: true.
  const bug = await waitFor('the debugger button', async () => {
    const b = await page.$('.jp-DebuggerBugButton');
    return b && (await b.isVisible()) && b;
  }, 30000);
  await bug.click();
  await waitFor('the debugger to start', () => page.evaluate(
    () => document.querySelector('.jp-DebuggerBugButton[aria-pressed="true"]') !== null), 30000);

  // Run the cell that defines f.
  await page.evaluate(async () => {
    const w = window.jupyterapp.shell.currentWidget;
    w.content.activeCellIndex = 0;
    await window.jupyterapp.commands.execute('notebook:run-cell');
  });
  await waitFor('cell 1 to run', () => page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    return w.content.model.cells.get(0).executionCount !== null && w.sessionContext.session.kernel.status === 'idle';
  }), 60000);

  // Click the breakpoint gutter beside line 3 of the first cell.
  const first = page.locator('.jp-Notebook .jp-Cell').nth(0);
  const line = await first.locator('.cm-line').nth(2).boundingBox();
  const gutter = await first.locator('.cm-breakpoint-gutter').first().boundingBox();
  await page.mouse.click(gutter.x + gutter.width / 2, line.y + line.height / 2);
  await waitFor('the breakpoint marker', () => page.evaluate(
    () => document.querySelectorAll('.jp-Notebook .cm-breakpoint-gutter .cm-breakpoint-icon').length > 0), 10000);
  // The Breakpoints panel lists it once the kernel has answered setBreakpoints.
  const listed = await waitFor('the Breakpoints panel', () => page.evaluate(() => {
    const b = document.querySelector('.jp-DebuggerBreakpoint-line');
    return b && b.textContent.trim();
  }), 30000);
  if (listed !== '3') { failed = true; console.error(`the breakpoint is on line ${listed}, want 3`); }

  // Run the cell that calls f: it stops at the breakpoint.
  await page.evaluate(async () => {
    const w = window.jupyterapp.shell.currentWidget;
    w.content.activeCellIndex = 1;
    void window.jupyterapp.commands.execute('notebook:run-cell');
  });
  const frames = await waitFor('the call stack', () => page.evaluate(() => {
    const names = [...document.querySelectorAll('.jp-DebuggerCallstackFrame-name')].map(e => e.textContent.trim());
    return names.length > 0 && names;
  }), 60000);
  const vars = await waitFor('the variables', () => page.evaluate(() => {
    const text = [...document.querySelectorAll('.jp-DebuggerVariables-body, .jp-DebuggerVariables')]
      .map(e => e.innerText).join('\n');
    return /\bn\b/.test(text) && /\bx\b/.test(text) && /40/.test(text) && text;
  }), 30000);
  await page.screenshot({ path: join(artifacts, 'debugger.png') });
  console.log(`stopped: call stack ${JSON.stringify(frames)}; variables panel shows n, x = 40`);
  if (frames[0] !== 'f') { failed = true; console.error(`top frame is ${frames[0]}, want f`); }

  await page.evaluate(() => window.jupyterapp.commands.execute('debugger:continue'));
  const out = await waitFor('cell 2 to finish', () => page.evaluate(() => {
    const c = window.jupyterapp.shell.currentWidget.content.model.cells.get(1);
    for (let i = 0; i < c.outputs.length; i++) {
      const o = c.outputs.get(i).toJSON();
      if (o.output_type === 'execute_result') return o.data['text/plain'];
      if (o.output_type === 'error') return `${o.ename}: ${o.evalue}`;
    }
    return null;
  }), 60000);
  console.log(`after continue, cell 2 shows ${out}`);
  if (out !== '41') { failed = true; console.error(`cell 2 shows ${out}, want 41`); }
  void vars;
} catch (e) {
  failed = true;
  console.error('debugger browser test failed:', e.message);
  console.error('--- jupyter lab log (tail) ---\n' + labLog.split('\n').slice(-40).join('\n'));
} finally {
  if (browser) await browser.close();
  try { process.kill(-lab.pid, 'SIGTERM'); } catch { /* already gone */ }
  await new Promise(r => setTimeout(r, 1000));
  try { process.kill(-lab.pid, 'SIGKILL'); } catch { /* already gone */ }
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
